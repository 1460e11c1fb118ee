"""The one error type: an AWS error code, its HTTP status and default message from one table.

Codes are spelled exactly as AWS spells them: S3's (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)
and KMS's (each KMS operation's Errors section and the KMS "Common Errors" page). Every layer that knows a
client's mistake raises ``S3Error``; only ``api/app.py`` renders it, in the shape of the request's
protocol (S3 XML, KMS JSON). This module imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["S3Error", "ERROR_TABLE"]

# code -> (HTTP status, default message)
ERROR_TABLE: Mapping[str, tuple[int, str]] = {
    "AccessDenied": (403, "Access Denied"),
    "AccessPointAlreadyOwnedByYou": (409, "Your previous request to create the named access point succeeded and you already own it."),
    "AccessForbidden": (403, "CORSResponse: This CORS request is not allowed."),
    "AccountProblem": (403, "There is a problem with your AWS account."),
    "AuthorizationHeaderMalformed": (400, "The authorization header is malformed."),
    "AuthorizationQueryParametersError": (400, "Error parsing the X-Amz-Credential parameter."),
    "BadRequest": (400, "Bad Request"),
    "BadDigest": (400, "The Content-MD5 or checksum value that you specified did not match what the server received."),
    "BucketAlreadyExists": (409, "The requested bucket name is not available."),
    "BucketAlreadyOwnedByYou": (409, "Your previous request to create the named bucket succeeded and you already own it."),
    "BucketNotEmpty": (409, "The bucket that you tried to delete is not empty."),
    "EntityTooLarge": (400, "Your proposed upload exceeds the maximum allowed object size."),
    "EntityTooSmall": (400, "Your proposed upload is smaller than the minimum allowed object size."),
    "ExpiredToken": (400, "The provided token has expired."),
    "IllegalLocationConstraintException": (400, "The specified location-constraint is not valid."),
    "IncompleteBody": (400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    "InternalError": (500, "We encountered an internal error. Please try again."),
    "InvalidAccessKeyId": (403, "The AWS access key ID you provided does not exist in our records."),
    "InvalidArgument": (400, "Invalid Argument"),
    "InvalidBucketName": (400, "The specified bucket is not valid."),
    "InvalidBucketState": (409, "The request is not valid with the current state of the bucket."),
    "InvalidDigest": (400, "The Content-MD5 you specified is not valid."),
    "InvalidLocationConstraint": (400, "The specified location constraint is not valid."),
    "InvalidObjectState": (403, "The operation is not valid for the current state of the object."),
    "InvalidPolicyDocument": (400, "The content of the form does not meet the conditions specified in the policy document."),
    "IncorrectNumberOfFilesInPostRequest": (400, "POST requires exactly one file upload per request."),
    "MalformedPOSTRequest": (400, "The body of your POST request is not well-formed multipart/form-data."),
    "MaxPostPreDataLengthExceededError": (400, "Your POST request fields preceding the upload file were too large."),
    "InvalidPart": (400, "One or more of the specified parts could not be found."),
    "InvalidPartOrder": (400, "The list of parts was not in ascending order."),
    "InvalidPartNumber": (416, "The requested partnumber is not satisfiable"),
    "InvalidRange": (416, "The requested range is not satisfiable"),
    "InvalidRequest": (400, "Invalid Request"),
    "InvalidStorageClass": (400, "The storage class you specified is not valid."),
    "InvalidTag": (400, "The tag provided was not a valid tag."),
    "InvalidToken": (400, "The provided token is malformed or otherwise invalid."),
    "InvalidURI": (400, "Couldn't parse the specified URI."),
    "KeyTooLongError": (400, "Your key is too long."),
    "MalformedACLError": (400, "The XML you provided was not well-formed or did not validate against our published schema."),
    "MalformedPolicy": (400, "Policy has invalid resource."),
    "MalformedXML": (400, "The XML you provided was not well-formed or did not validate against our published schema."),
    "MaxMessageLengthExceeded": (400, "Your request was too big."),
    "MetadataTooLarge": (400, "Your metadata headers exceed the maximum allowed metadata size."),
    "MethodNotAllowed": (405, "The specified method is not allowed against this resource."),
    "MissingContentLength": (411, "You must provide the Content-Length HTTP header."),
    "MissingRequestBodyError": (400, "Request Body is empty."),
    "MissingSecurityHeader": (400, "Your request is missing a required header."),
    "NoSuchBucket": (404, "The specified bucket does not exist."),
    "NoSuchBucketPolicy": (404, "The bucket policy does not exist."),
    "NoSuchCORSConfiguration": (404, "The CORS configuration does not exist."),
    "NoSuchKey": (404, "The specified key does not exist."),
    "NoSuchLifecycleConfiguration": (404, "The lifecycle configuration does not exist."),
    "NoSuchTagSet": (404, "The TagSet does not exist."),
    "NoSuchUpload": (404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."),
    "NoSuchVersion": (404, "The specified version does not exist."),
    "NotImplemented": (501, "A header or query you provided implies functionality that is not implemented."),
    "NotModified": (304, "Not Modified"),
    "PreconditionFailed": (412, "At least one of the preconditions you specified did not hold."),
    "RequestTimeTooSkewed": (403, "The difference between the request time and the server's time is too large."),
    "RequestTimeout": (400, "Your socket connection to the server was not read from or written to within the timeout period."),
    "ServerSideEncryptionConfigurationNotFoundError": (404, "The server side encryption configuration was not found."),
    "ServiceUnavailable": (503, "Service is unable to handle request."),
    "SignatureDoesNotMatch": (403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."),
    "SlowDown": (503, "Please reduce your request rate."),
    "TooManyBuckets": (400, "You have attempted to create more buckets than allowed."),
    "UnexpectedContent": (400, "This request does not support content."),
    "XAmzContentSHA256Mismatch": (400, "The provided 'x-amz-content-sha256' header does not match what was computed."),
    "InvalidEncryptionAlgorithmError": (400, "The encryption request you specified is not valid."),
    "OwnershipControlsNotFoundError": (404, "The bucket ownership controls were not found."),
    "AccessControlListNotSupported": (400, "The bucket does not allow ACLs"),
    "InvalidBucketAclWithObjectOwnership": (400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"),
    "UnresolvableGrantByEmailAddress": (400, "The email address you provided does not match any account on record."),
    "NoSuchAccessPoint": (404, "The specified access point does not exist."),
    "NoSuchAccessPointPolicy": (404, "The specified access point does not have a policy."),
    "NoSuchPublicAccessBlockConfiguration": (404, "The public access block configuration was not found."),
    "ObjectLockConfigurationNotFoundError": (404, "Object Lock configuration does not exist for this bucket."),
    "NoSuchWebsiteConfiguration": (404, "The specified bucket does not have a website configuration."),
    "ReplicationConfigurationNotFoundError": (404, "The replication configuration was not found."),
    # S3 calling KMS for an object (SSE-KMS): KMS's error name, prefixed, with KMS's status.
    "KMS.NotFoundException": (400, "The specified KMS key does not exist."),
    "KMS.DisabledException": (400, "The KMS key is disabled."),
    "KMS.KMSInvalidStateException": (400, "The KMS key is not in a valid state for this operation."),
    # KMS (AWS JSON 1.1 protocol): every KMS error is a 400 except KMS's internal failure.
    "AccessDeniedException": (400, "You do not have sufficient access to perform this action."),
    "AlreadyExistsException": (400, "The resource already exists."),
    "DisabledException": (400, "The KMS key is disabled."),
    "IncompleteSignatureException": (400, "The request signature does not conform to AWS standards."),
    "IncorrectKeyException": (400, "The key ID in the request does not identify the KMS key that encrypted the ciphertext."),
    "InvalidCiphertextException": (400, "The ciphertext is not valid for this KMS key or encryption context."),
    "InvalidKeyUsageException": (400, "The KMS key's KeyUsage does not allow this operation."),
    "InvalidMarkerException": (400, "The marker is not valid."),
    "InvalidSignatureException": (400, "The request signature we calculated does not match the signature you provided."),
    "KMSInternalException": (500, "An internal error occurred."),
    "KMSInvalidStateException": (400, "The KMS key is not in a valid state for this operation."),
    "LimitExceededException": (400, "A limit was exceeded."),
    "MalformedPolicyDocumentException": (400, "The policy document is not valid."),
    "MissingAuthenticationTokenException": (403, "Missing Authentication Token"),
    "NotAuthorizedException": (400, "You are not authorized to perform this operation."),
    "NotFoundException": (400, "The specified entity or resource could not be found."),
    "SerializationException": (400, "The request body is not valid JSON of the expected shape."),
    "TagException": (400, "One or more tags are not valid."),
    "UnknownOperationException": (400, "The requested operation is not known to this service."),
    "UnrecognizedClientException": (400, "The security token included in the request is invalid."),
    "UnsupportedOperationException": (400, "The requested operation is not supported."),
    "ValidationException": (400, "The input fails to satisfy the constraints specified by the service."),
    # IAM (AWS query protocol): each operation's Errors section of the IAM API reference.
    "NoSuchEntity": (404, "The request was rejected because it referenced a resource entity that does not exist."),
    "EntityAlreadyExists": (409, "The request was rejected because it attempted to create a resource that already exists."),
    "MalformedPolicyDocument": (400, "The request was rejected because the policy document was malformed."),
    "LimitExceeded": (409, "The request was rejected because it attempted to create resources beyond the current AWS account limits."),
    "ValidationError": (400, "The input fails to satisfy the constraints specified by an AWS service."),
    "DeleteConflict": (409, "The request was rejected because it attempted to delete a resource that has attached subordinate entities."),
    "InvalidInput": (400, "The request was rejected because an invalid or out-of-range value was supplied for an input parameter."),
    "InvalidAction": (400, "The action or operation requested is invalid. Verify that the action is typed correctly."),
    "InvalidClientTokenId": (403, "The security token included in the request is invalid."),
    "PackedPolicyTooLarge": (400, "The request was rejected because the total packed size of the session policies and session tags combined was too large."),
    "MissingAuthenticationToken": (403, "Request is missing Authentication Token"),
}


class S3Error(Exception):
    """A client-visible S3 error: code, message, optional resource and extra response headers.

    ``extra`` holds additional XML elements AWS adds for some codes (e.g. ``ArgumentName``).
    """

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        resource: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        if code not in ERROR_TABLE:
            raise ValueError(f"unknown S3 error code {code!r}: add it to ERROR_TABLE")
        table_status, default_message = ERROR_TABLE[code]
        self.code = code
        self.message = message or default_message
        self.status = status or table_status
        self.resource = resource
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(f"{code}: {self.message}")
