"""Secrets Manager: moto answers it; one correction to its error status.

moto answers ResourceNotFoundException with HTTP 404. The botocore model
(`secretsmanager/2017-10-17/service-2.json`, protocol json) gives that
error no `httpStatusCode`, so it is a 400 like every awsJson1_1 error
without one, and the API reference's GetSecretValue page says
"ResourceNotFoundException ... HTTP Status Code: 400"
(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
"""

from __future__ import annotations


def fix_status(status: int, data: bytes) -> int:
    """The status AWS gives the answer moto produced."""
    if status == 404 and b"ResourceNotFoundException" in data:
        return 400
    return status
