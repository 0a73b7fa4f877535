using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

internal sealed class KmsKeyConfiguration : IEntityTypeConfiguration<KmsKey>
{
    public void Configure(EntityTypeBuilder<KmsKey> key)
    {
        key.ToTable("Keys");
        key.Property(k => k.Name).HasMaxLength(32);
        key.Property(k => k.Description).HasMaxLength(500);
        key.Property(k => k.Usage).HasConversion<string>().HasMaxLength(32);
        key.Property(k => k.Algorithm).HasConversion<string>().HasMaxLength(32);
        // Names are unique per project: concurrent creates with one name leave exactly one row.
        key.HasIndex(k => new { k.ProjectId, k.Name }).IsUnique();
        key.HasIndex(k => k.NextRotationAt);
        key.HasOne<Project>().WithMany().HasForeignKey(k => k.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class KeyVersionConfiguration : IEntityTypeConfiguration<KeyVersion>
{
    public void Configure(EntityTypeBuilder<KeyVersion> version)
    {
        version.ToTable("KeyVersions");
        version.HasKey(v => new { v.KeyId, v.Version });
        version.HasOne<KmsKey>().WithMany().HasForeignKey(v => v.KeyId).OnDelete(DeleteBehavior.Cascade);
    }
}
