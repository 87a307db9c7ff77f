"""LOCAL-ONLY LocalStack plugin answering SES v2 (see provider.py). Not part of the product."""

from localstack.services.plugins import Service, aws_provider


@aws_provider(api="sesv2")
def sesv2():
    from localstack_sesv2_shim.provider import SesV2ShimProvider, create_dispatch_table

    provider = SesV2ShimProvider()
    return Service.for_provider(provider, dispatch_table_factory=create_dispatch_table)
