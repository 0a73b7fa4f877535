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

    /// <summary>
    /// The name of each key the chain names: current for keys that exist, as its deletion record kept it for a
    /// deleted one. Records name keys by ID; the table shows the name first and the ID below it.
    /// </summary>
    public IReadOnlyDictionary<Guid, AuditKeyName> KeyNames { get; init; } = new Dictionary<Guid, AuditKeyName>();

    /// <summary>The name of a key the records name, or null when it is not known (the record then shows the bare ID).</summary>
    public AuditKeyName? KeyName(Guid keyId) => KeyNames.GetValueOrDefault(keyId);

    /// <summary>Shown when Core refuses to read or verify the chain for the signed-in user.</summary>
    public string DeniedMessage { get; init; } = AuditMessages.CannotRead;
}

/// <summary>A key's name as the audit pages show it; a deleted key has the name its deletion record kept.</summary>
public sealed record AuditKeyName(string Name, bool Deleted)
{
    public override string ToString() => Deleted ? $"{Name} (deleted)" : Name;
}

/// <summary>An entry of a key or actor filter: the ID to filter by and what the list shows.</summary>
public sealed record AuditChoice(Guid Id, string Label);
