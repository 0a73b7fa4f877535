using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Projects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

internal sealed class KmipClientConfiguration : IEntityTypeConfiguration<KmipClient>
{
    public void Configure(EntityTypeBuilder<KmipClient> client)
    {
        client.ToTable("KmipClients");
        client.Property(c => c.Name).HasMaxLength(64);
        client.Property(c => c.Description).HasMaxLength(256);
        client.HasIndex(c => new { c.ProjectId, c.Name }).IsUnique();
        client.HasOne<Project>().WithMany().HasForeignKey(c => c.ProjectId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class KmipCertificateConfiguration : IEntityTypeConfiguration<KmipCertificate>
{
    public void Configure(EntityTypeBuilder<KmipCertificate> certificate)
    {
        certificate.ToTable("KmipCertificates");
        certificate.Property(c => c.SerialNumber).HasMaxLength(64);
        certificate.HasIndex(c => c.Thumbprint).IsUnique();
        certificate.HasOne<KmipClient>().WithMany().HasForeignKey(c => c.ClientId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class KmipAuthorityConfiguration : IEntityTypeConfiguration<KmipAuthorityRecord>
{
    public void Configure(EntityTypeBuilder<KmipAuthorityRecord> authority)
    {
        authority.ToTable("KmipAuthority");
        authority.Property(a => a.Id).ValueGeneratedNever();
    }
}

internal sealed class KmipKeyStateConfiguration : IEntityTypeConfiguration<KmipKeyState>
{
    public void Configure(EntityTypeBuilder<KmipKeyState> state)
    {
        state.ToTable("KmipKeyStates");
        state.HasKey(s => s.KeyId);
        state.Property(s => s.Name).HasMaxLength(256);
        state.Property(s => s.RevocationMessage).HasMaxLength(256);
        state.HasIndex(s => s.Name);
        state.HasOne<KmsKey>().WithOne().HasForeignKey<KmipKeyState>(s => s.KeyId).OnDelete(DeleteBehavior.Cascade);
        state.HasOne<KmipClient>().WithMany().HasForeignKey(s => s.CreatedByClientId).OnDelete(DeleteBehavior.SetNull);
    }
}
