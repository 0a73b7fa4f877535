namespace InfisicalKms.Core.Audit;

/// <summary>
/// One stored audit record (spec §10.7.3): who did what to which project and key, from where, with what
/// outcome, linked to the record before it in its chain by <see cref="PrevHash"/>.
/// </summary>
/// <remarks>
/// Append-only. Never holds plaintext, ciphertext, signatures, MACs, key material, tokens, passwords or
/// client secrets: <see cref="AuditEntry"/> only accepts the metadata keys of spec §10.7.4.
/// </remarks>
public sealed class AuditEvent
{
    /// <summary>Insertion order over all chains (database-assigned); not part of the hash.</summary>
    public long Sequence { get; set; }

    public Guid Id { get; set; }

    public Guid OrganizationId { get; set; }

    /// <summary>The chain the record belongs to: its project's ID, or the organization's ID for organization events.</summary>
    public Guid ChainId { get; set; }

    /// <summary>1-based position in the chain; unique per chain, so two writers can never fork it.</summary>
    public long ChainIndex { get; set; }

    public required string EventType { get; set; }

    public required string ActorType { get; set; }

    public Guid? ActorId { get; set; }

    public required string ActorName { get; set; }

    public Guid? ProjectId { get; set; }

    public Guid? KeyId { get; set; }

    public string? IpAddress { get; set; }

    public string? UserAgent { get; set; }

    public required string Outcome { get; set; }

    /// <summary>String → string, sorted by key; stored as JSON.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; set; }

    /// <summary>UTC, truncated to milliseconds so the stored value is the emitted one (spec §1.6).</summary>
    public DateTime CreatedAt { get; set; }

    public string Hash { get; set; } = "";

    public string PrevHash { get; set; } = "";
}

/// <summary>The newest link of one chain, and where the chain starts after retention pruned its oldest records.</summary>
public sealed class AuditChainHead
{
    public Guid ChainId { get; set; }

    public long LastIndex { get; set; }

    public string LastHash { get; set; } = AuditHash.Genesis;

    /// <summary>Index of the oldest record kept (1 until pruning).</summary>
    public long FirstIndex { get; set; } = 1;

    /// <summary>The <c>prevHash</c> the oldest kept record must carry: 64 zeros until pruning, then the last pruned record's hash.</summary>
    public string AnchorHash { get; set; } = AuditHash.Genesis;
}
