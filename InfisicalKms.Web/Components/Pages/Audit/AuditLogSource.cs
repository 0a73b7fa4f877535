using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>
/// One audit chain as <see cref="AuditLogView"/> shows it: how to read and verify it, and what its filters offer.
/// A project page and the organization page each build one over <see cref="AuditLogService"/>.
/// </summary>
public sealed record AuditLogSource(
    string FilePrefix,
    IReadOnlyList<string> EventTypes,
    IReadOnlyList<AuditChoice> Keys,
    IReadOnlyList<AuditChoice> Actors,
    Func<AuditQuery, CancellationToken, Task<AuditPage>> QueryAsync,
    Func<CancellationToken, Task<AuditChainReport>> VerifyAsync)
{
    /// <summary>Whether the chain holds key events at all (the organization chain does not): shows the key filter and column.</summary>
    public bool HasKeys { get; init; } = true;

    /// <summary>The details page of a key that still exists, else null (the record then shows the bare ID).</summary>
    public Func<Guid, string?> KeyHref { get; init; } = _ => null;

    /// <summary>Shown when Core refuses to read or verify the chain for the signed-in user.</summary>
    public string DeniedMessage { get; init; } = AuditMessages.CannotRead;
}

/// <summary>An entry of a key or actor filter: the ID to filter by and what the list shows.</summary>
public sealed record AuditChoice(Guid Id, string Label);
