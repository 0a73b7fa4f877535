namespace InfisicalKms.Core.Errors;

/// <summary>
/// The closed set of failures a caller may see (spec §2.2). Web maps each to its status, error class and
/// message once; anything else is a 500 with no detail.
/// </summary>
public abstract class KmsException(int statusCode, string error, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>The machine-readable class of spec §2.2, e.g. <c>BadRequest</c>.</summary>
    public string Error { get; } = error;
}

/// <summary>400: well-formed but cannot be carried out.</summary>
public class KmsBadRequestException(string message) : KmsException(400, "BadRequest", message);

/// <summary>400 with the one generic decryption message (spec §2.5); it never says which check failed.</summary>
public sealed class DecryptionFailedException() : KmsBadRequestException(DecryptionFailedException.Text)
{
    public const string Text = "Decryption failed: the ciphertext is invalid or was not produced by this key";
}

/// <summary>400 <c>Key is disabled</c> (spec §2.6 K4).</summary>
public sealed class KeyDisabledException() : KmsBadRequestException("Key is disabled");

/// <summary>401: missing, invalid or expired credentials.</summary>
public sealed class KmsUnauthorizedException(string message) : KmsException(401, "UnauthorizedError", message)
{
    public static KmsUnauthorizedException TokenMissing() => new("Token missing");

    public static KmsUnauthorizedException InvalidToken() => new("Invalid token");

    public static KmsUnauthorizedException TokenExpired() => new("Your token has expired. Please re-authenticate.");
}

/// <summary>403 PermissionDenied: a member whose role lacks the action.</summary>
public sealed class KmsPermissionDeniedException(string action, string subject)
    : KmsException(403, "PermissionDenied", $"You are not allowed to {action} on {subject}");

/// <summary>403 ForbiddenError: refused for a reason other than roles (trusted IPs).</summary>
public sealed class KmsForbiddenException() : KmsException(403, "ForbiddenError", "IP address not allowed");

/// <summary>404: unknown, or not visible to the caller (spec §9.7).</summary>
public sealed class KmsNotFoundException(string message) : KmsException(404, "NotFound", message)
{
    public static KmsNotFoundException Key(string keyId) => new($"Key with ID \"{keyId}\" not found");

    public static KmsNotFoundException Project(string projectId) => new($"Project with ID \"{projectId}\" not found");

    public static KmsNotFoundException Identity(string identityId) => new($"Identity with ID \"{identityId}\" not found");
}

/// <summary>429 from the login limiter (spec §1.10).</summary>
public sealed class KmsRateLimitException(int retryAfterSeconds)
    : KmsException(429, "RateLimitExceeded", $"Rate limit exceeded. Please try again in {retryAfterSeconds} seconds")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
