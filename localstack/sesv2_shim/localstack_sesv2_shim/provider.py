"""LOCAL-ONLY shim: SES v2 for LocalStack community. Never deployed anywhere.

LocalStack community (4.9.2) ships no SES v2 provider, so the project's code (which
uses aws-sdk-sesv2) would get "service not available". This plugin fills the gap:

* every SES v2 operation is answered by moto's ``sesv2`` backend (bundled with
  LocalStack as ``moto-ext``), which shares its state with the SES v1 backend;
* ``CreateEmailIdentity`` marks the new identity as verified for sending, as a
  sandbox-free account would after verification;
* ``SendEmail`` is additionally recorded exactly where LocalStack's own SES v1
  provider records mail, so ``GET /_aws/ses`` lists v1 and v2 mail alike:
  ``{"messages": [{"Id", "Region", "Timestamp", "Source", "Destination",
  "Subject", "Body": {"text_part", "html_part"}}]}`` (raw mail: ``RawData``).

Template content (``Content.Template``) is not supported by moto and answers 501.

Registered as the ``sesv2:default`` provider in the ``localstack.aws.provider``
entry-point group (see ../pyproject.toml); LocalStack discovers it via plux.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from localstack.aws.api import RequestContext, ServiceRequest, ServiceResponse
from localstack.aws.skeleton import DispatchTable
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto
from localstack.services.plugins import ServiceLifecycleHook
from localstack.services.ses.models import SentEmail, SentEmailBody
from localstack.services.ses.provider import register_ses_api_resource, save_for_retrospection
from localstack.utils.strings import to_str

_AT_OR_PLUS = re.compile(r"%(40|2[bB])")


def _ses_backend(context: RequestContext):
    from moto.ses import ses_backends  # moto's sesv2 backend stores identities here

    return ses_backends[context.account_id][context.region]


def _moto(context: RequestContext, _request: ServiceRequest = None) -> ServiceResponse:
    # SDKs percent-encode '@' (and '+') in the {EmailIdentity} path label; moto
    # matches the raw path and does not decode it, so GetEmailIdentity & co. would
    # answer NotFound for "a%40b.it". Hand moto the decoded characters instead.
    environ = context.request.environ
    raw_uri = environ.get("RAW_URI", "")
    path, sep, query = raw_uri.partition("?")
    decoded = _AT_OR_PLUS.sub(lambda m: unquote(m.group()), path)
    if decoded != path:
        environ["RAW_URI"] = decoded + sep + query
    return call_moto(context)


class SesV2ShimProvider(ServiceLifecycleHook):
    service = "sesv2"

    def on_after_init(self):
        # /_aws/ses normally appears when the SES v1 provider loads; make sure it
        # exists even when only sesv2 is enabled (registration is idempotent).
        register_ses_api_resource()

    def create_email_identity(
        self, context: RequestContext, request: ServiceRequest
    ) -> ServiceResponse:
        response = _moto(context)
        identity = _ses_backend(context).email_identities.get(request["EmailIdentity"])
        if identity is not None:
            identity.verified_for_sending_status = True
            identity.verification_status = "SUCCESS"
        response["VerifiedForSendingStatus"] = True
        return response

    def send_email(self, context: RequestContext, request: ServiceRequest) -> ServiceResponse:
        content = request.get("Content") or {}
        if "Template" in content:
            raise NotImplementedError("sesv2 shim: template content is not supported locally")
        # moto checks the sender is a verified identity and assigns the MessageId
        response = _moto(context)
        sent = SentEmail(
            Id=response["MessageId"],
            Region=context.region,
            Source=request.get("FromEmailAddress"),
            Destination=request.get("Destination") or {},
        )
        if "Simple" in content:
            simple = content["Simple"]
            body = simple.get("Body") or {}
            sent["Subject"] = (simple.get("Subject") or {}).get("Data")
            sent["Body"] = SentEmailBody(
                text_part=(body.get("Text") or {}).get("Data"),
                html_part=(body.get("Html") or {}).get("Data"),
            )
        elif "Raw" in content:
            sent["RawData"] = to_str(content["Raw"]["Data"])
        save_for_retrospection(sent)
        return response


def create_dispatch_table(provider: SesV2ShimProvider) -> DispatchTable:
    """Every SES v2 operation goes to moto, except the two the shim adjusts."""
    table: DispatchTable = {op: _moto for op in load_service("sesv2").operation_names}
    table["CreateEmailIdentity"] = provider.create_email_identity
    table["SendEmail"] = provider.send_email
    return table
