using System.Text.Json;
using InfisicalKms.Core.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

/// <summary>
/// Audit records have no foreign keys: they outlive the projects, keys, users and identities they name
/// (spec §8.6.4), and nothing may cascade into them.
/// </summary>
internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> record)
    {
        record.ToTable("AuditEvents");
        record.HasKey(e => e.Sequence);
        record.Property(e => e.Sequence).ValueGeneratedOnAdd();
        record.HasIndex(e => e.Id).IsUnique();
        record.HasIndex(e => new { e.ChainId, e.ChainIndex }).IsUnique();
        record.HasIndex(e => new { e.ProjectId, e.CreatedAt });
        record.Property(e => e.EventType).HasMaxLength(64);
        record.Property(e => e.ActorType).HasMaxLength(16);
        record.Property(e => e.ActorName).HasMaxLength(320);
        record.Property(e => e.IpAddress).HasMaxLength(64);
        record.Property(e => e.UserAgent).HasMaxLength(RequestOrigin.MaxUserAgentLength);
        record.Property(e => e.Outcome).HasMaxLength(16);
        record.Property(e => e.Hash).HasMaxLength(64);
        record.Property(e => e.PrevHash).HasMaxLength(64);
        record.Property(e => e.Metadata).HasConversion(
            m => JsonSerializer.Serialize(m, JsonSerializerOptions.Default),
            json => ReadMetadata(json),
            new ValueComparer<IReadOnlyDictionary<string, string>>(
                (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                m => m.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key, p.Value)),
                m => new SortedDictionary<string, string>(m.ToDictionary(), StringComparer.Ordinal)));
    }

    private static SortedDictionary<string, string> ReadMetadata(string json) =>
        new(JsonSerializer.Deserialize<Dictionary<string, string>>(json, JsonSerializerOptions.Default) ?? [], StringComparer.Ordinal);
}

internal sealed class AuditChainHeadConfiguration : IEntityTypeConfiguration<AuditChainHead>
{
    public void Configure(EntityTypeBuilder<AuditChainHead> head)
    {
        head.ToTable("AuditChainHeads");
        head.HasKey(h => h.ChainId);
        head.Property(h => h.ChainId).ValueGeneratedNever();
        head.Property(h => h.LastHash).HasMaxLength(64);
        head.Property(h => h.AnchorHash).HasMaxLength(64);
    }
}
