namespace InfisicalKms.Core.Kmip.Server;

/// <summary>A batch item that fails with a KMIP result reason and a message for the client (never key material).</summary>
public sealed class KmipException(KmipResultReason reason, string message) : Exception(message)
{
    public KmipResultReason Reason { get; } = reason;

    public static KmipException NotFound(string uid) => new(KmipResultReason.ItemNotFound, $"Object '{uid}' not found");

    public static KmipException Denied(KmipPermissions permission) =>
        new(KmipResultReason.PermissionDenied, $"KMIP client is not allowed to {KmipPermissionNames.Wire.Name(permission)}");

    public static KmipException InvalidField(string message) => new(KmipResultReason.InvalidField, message);

    public static KmipException Missing(string field) => new(KmipResultReason.MissingData, $"The request has no {field}");
}
