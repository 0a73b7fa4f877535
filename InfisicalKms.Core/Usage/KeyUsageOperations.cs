using InfisicalKms.Core.Audit;

namespace InfisicalKms.Core.Usage;

/// <summary>
/// The audit events that count as using a key, and the short names usage reports give them. Reading a key's
/// metadata, its public key or its versions is not a use; exporting its private key is.
/// </summary>
/// <remarks>
/// The triggers that keep the hourly counts name these event types as written on the day
/// (<c>KeyUsageCounts</c> migrations); a type added here needs a migration that adds it there too.
/// A batch request is one audit record, so it counts once, whatever its number of items.
/// </remarks>
public static class KeyUsageOperations
{
    public const string Encrypt = "encrypt";
    public const string Decrypt = "decrypt";
    public const string Sign = "sign";
    public const string Verify = "verify";
    public const string GenerateMac = "generate-mac";
    public const string VerifyMac = "verify-mac";
    public const string DataKey = "data-key";
    public const string Rewrap = "rewrap";
    public const string Export = "export";

    /// <summary>Event type → operation, in the order reports and charts list them.</summary>
    public static readonly IReadOnlyList<(string EventType, string Operation)> All =
    [
        (AuditEventTypes.Encrypt, Encrypt),
        (AuditEventTypes.Decrypt, Decrypt),
        (AuditEventTypes.Sign, Sign),
        (AuditEventTypes.Verify, Verify),
        (AuditEventTypes.GenerateMac, GenerateMac),
        (AuditEventTypes.VerifyMac, VerifyMac),
        (AuditEventTypes.GenerateDataKey, DataKey),
        (AuditEventTypes.Rewrap, Rewrap),
        (AuditEventTypes.GetPrivateKey, Export),
    ];

    public static IReadOnlyList<string> EventTypes { get; } = [.. All.Select(o => o.EventType)];

    public static IReadOnlyList<string> Names { get; } = [.. All.Select(o => o.Operation)];

    private static readonly Dictionary<string, string> ByEventType = All.ToDictionary(o => o.EventType, o => o.Operation, StringComparer.Ordinal);

    private static readonly Dictionary<string, string> ByName = All.ToDictionary(o => o.Operation, o => o.EventType, StringComparer.Ordinal);

    /// <summary>The operation an audit event type counts as, or null when it is not a use of the key.</summary>
    public static string? OfEventType(string eventType) => ByEventType.GetValueOrDefault(eventType);

    /// <summary>The audit event type of an operation name, or null for an unknown name.</summary>
    public static string? EventTypeOf(string operation) => ByName.GetValueOrDefault(operation);
}
