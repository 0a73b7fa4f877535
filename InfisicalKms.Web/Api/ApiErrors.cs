using System.Text.Json;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Web.Api;

/// <summary>Writes the error body of spec §2.1; the one place that shapes error responses.</summary>
public static class ApiErrors
{
    public const string InternalMessage = "Something went wrong";

    public static Task WriteAsync(HttpContext http, KmsException error)
    {
        if (error is KmsRateLimitException limited)
        {
            http.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        IReadOnlyList<ValidationIssue>? details = (error as KmsValidationException)?.Issues;
        return WriteAsync(http, error.StatusCode, error.Error, error.Message, details);
    }

    public static async Task WriteAsync(HttpContext http, int status, string error, string message, IReadOnlyList<ValidationIssue>? details = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new ErrorBody(RequestIds.Get(http), status, message, error,
            details?.Select(d => new ErrorDetail(d.Field, d.Message)).ToArray());
        await JsonSerializer.SerializeAsync(http.Response.Body, body, ApiJson.Options, http.RequestAborted);
    }
}

/// <summary>The error body (spec §2.1). <c>details</c> appears only on 422.</summary>
public sealed record ErrorBody(
    string ReqId, int StatusCode, string Message, string Error,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<ErrorDetail>? Details);

public sealed record ErrorDetail(string Field, string Message);
