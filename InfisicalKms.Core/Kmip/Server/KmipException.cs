using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// A batch item that fails with a KMIP result reason and a message for the client (never key material). It is a
/// <see cref="KmsException"/> so that its failure record in the audit log (and the key usage counts made from it)
/// says what the REST API would, 403 PermissionDenied, 404 NotFound or 400 BadRequest, not 500 InternalServerError.
/// </summary>
public sealed class KmipException(KmipResultReason reason, string message)
    : KmsException(StatusOf(reason), ErrorOf(reason), message)
{
    public KmipResultReason Reason { get; } = reason;

    public static KmipException NotFound(string uid) => new(KmipResultReason.ItemNotFound, $"Object '{uid}' not found");

    public static KmipException Denied(KmipPermissions permission) =>
        new(KmipResultReason.PermissionDenied, $"KMIP client is not allowed to {KmipPermissionNames.Wire.Name(permission)}");

    public static KmipException InvalidField(string message) => new(KmipResultReason.InvalidField, message);

    public static KmipException Missing(string field) => new(KmipResultReason.MissingData, $"The request has no {field}");

    private static int StatusOf(KmipResultReason reason) => reason switch
    {
        KmipResultReason.ItemNotFound => 404,
        KmipResultReason.PermissionDenied => 403,
        KmipResultReason.GeneralFailure => 500,
        _ => 400,
    };

    private static string ErrorOf(KmipResultReason reason) => reason switch
    {
        KmipResultReason.ItemNotFound => "NotFound",
        KmipResultReason.PermissionDenied => "PermissionDenied",
        KmipResultReason.GeneralFailure => "InternalServerError",
        _ => "BadRequest",
    };
}
