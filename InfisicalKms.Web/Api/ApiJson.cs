using System.Globalization;
using System.Text.Json;

namespace InfisicalKms.Web.Api;

/// <summary>JSON conventions of the API: camelCase members, timestamps with exactly three fractional digits.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>ISO 8601 UTC, truncated (not rounded) to milliseconds, with <c>Z</c> (spec §1.6).</summary>
    public static string Timestamp(DateTime utc) =>
        new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string? Timestamp(DateTime? utc) => utc is { } value ? Timestamp(value) : null;
}
