"""Checks the local-only SES v2 shim against an ALREADY RUNNING LocalStack.

Starts nothing itself: run it through ../../test-shim.sh (which sources env.sh,
so AWS_ENDPOINT_URL/region/credentials point at http://127.0.0.1:4566).
"""

import json
import os
import urllib.request
import uuid

import boto3
import pytest

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
REGION = os.environ.get("AWS_REGION", "eu-south-1")


def read_back(path):
    with urllib.request.urlopen(ENDPOINT + path, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def sesv2():
    try:
        read_back("/_localstack/health")
    except OSError as e:
        pytest.fail(f"no LocalStack at {ENDPOINT} ({e}); run localstack/start.sh first")
    return boto3.client(
        "sesv2",
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_create_email_identity_is_verified(sesv2):
    sender = f"noreply-{uuid.uuid4().hex[:8]}@portale.test"
    created = sesv2.create_email_identity(EmailIdentity=sender)
    assert created["VerifiedForSendingStatus"] is True
    fetched = sesv2.get_email_identity(EmailIdentity=sender)
    assert fetched["VerifiedForSendingStatus"] is True


def test_send_email_is_listed_at_aws_ses(sesv2):
    tag = uuid.uuid4().hex[:8]
    sender = f"noreply-{tag}@portale.test"
    recipient = f"mario.rossi-{tag}@example.it"
    subject = f"Codice di verifica {tag}"
    text = f"Il tuo codice: {tag}"
    html = f"<p>Il tuo codice: <b>{tag}</b></p>"
    sesv2.create_email_identity(EmailIdentity=sender)

    sent = sesv2.send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [recipient]},
        Content={
            "Simple": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": text, "Charset": "UTF-8"},
                    "Html": {"Data": html, "Charset": "UTF-8"},
                },
            }
        },
    )

    messages = read_back("/_aws/ses")["messages"]
    mine = [m for m in messages if m["Id"] == sent["MessageId"]]
    assert len(mine) == 1, messages
    msg = mine[0]
    assert msg["Subject"] == subject
    assert msg["Source"] == sender
    assert msg["Destination"]["ToAddresses"] == [recipient]
    assert msg["Body"]["text_part"] == text
    assert msg["Body"]["html_part"] == html
    assert msg["Region"] == REGION


def test_unverified_sender_is_rejected(sesv2):
    with pytest.raises(sesv2.exceptions.ClientError) as err:
        sesv2.send_email(
            FromEmailAddress=f"nobody-{uuid.uuid4().hex[:8]}@unverified.test",
            Destination={"ToAddresses": ["x@example.it"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )
    assert "not verified" in str(err.value)
