namespace InfisicalKms.Core.Keys;

/// <summary>A customer-managed key (spec §3). Its material lives in <see cref="KeyVersion"/> rows.</summary>
public sealed class KmsKey
{
    public Guid Id { get; set; }

    public Guid ProjectId { get; set; }

    /// <summary>The organization of the key's project, kept on the key because every key object carries it.</summary>
    public Guid OrganizationId { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public bool IsDisabled { get; set; }

    public KeyUsage Usage { get; set; }

    public KeyAlgorithm Algorithm { get; set; }

    /// <summary>The current version; 1 at creation.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Fixed at creation (spec §7.1).</summary>
    public bool IsExportable { get; set; }

    public bool RotationEnabled { get; set; }

    public int? RotationIntervalDays { get; set; }

    public DateTime? LastRotatedAt { get; set; }

    public DateTime? NextRotationAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
