using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

internal sealed class MachineIdentityConfiguration : IEntityTypeConfiguration<MachineIdentity>
{
    public void Configure(EntityTypeBuilder<MachineIdentity> identity)
    {
        identity.ToTable("Identities");
        identity.Property(i => i.Name).HasMaxLength(64);
        identity.Property(i => i.OrgRole).HasConversion<string>().HasMaxLength(16);
        identity.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UniversalAuthConfiguration : IEntityTypeConfiguration<UniversalAuthConfig>
{
    public void Configure(EntityTypeBuilder<UniversalAuthConfig> ua)
    {
        ua.ToTable("UniversalAuths");
        ua.HasIndex(u => u.ClientId).IsUnique();
        ua.HasIndex(u => u.IdentityId).IsUnique();
        ua.HasOne<MachineIdentity>().WithMany().HasForeignKey(u => u.IdentityId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ClientSecretConfiguration : IEntityTypeConfiguration<ClientSecret>
{
    public void Configure(EntityTypeBuilder<ClientSecret> secret)
    {
        secret.ToTable("ClientSecrets");
        secret.Property(s => s.Description).HasMaxLength(256);
        secret.Property(s => s.Prefix).HasMaxLength(4);
        secret.HasIndex(s => s.SecretHash);
        secret.HasOne<UniversalAuthConfig>().WithMany().HasForeignKey(s => s.UniversalAuthId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AccessTokenConfiguration : IEntityTypeConfiguration<AccessToken>
{
    public void Configure(EntityTypeBuilder<AccessToken> token)
    {
        token.ToTable("AccessTokens");
        token.HasIndex(t => t.TokenHash).IsUnique();
        token.HasOne<MachineIdentity>().WithMany().HasForeignKey(t => t.IdentityId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LoginAttemptConfiguration : IEntityTypeConfiguration<LoginAttemptRecord>
{
    public void Configure(EntityTypeBuilder<LoginAttemptRecord> attempt)
    {
        attempt.ToTable("LoginAttempts");
        attempt.HasKey(a => a.Id);
        attempt.Property(a => a.Client).HasMaxLength(64);
        attempt.HasIndex(a => new { a.Client, a.At });
    }
}
