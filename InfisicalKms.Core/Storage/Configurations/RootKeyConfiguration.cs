using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.RootKeys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

internal sealed class RootKeyConfiguration : IEntityTypeConfiguration<RootKeyRecord>
{
    public void Configure(EntityTypeBuilder<RootKeyRecord> root)
    {
        root.ToTable("RootKey");
        root.Property(r => r.Id).ValueGeneratedNever();
        root.Property(r => r.Strategy).HasConversion<string>().HasMaxLength(16);
        root.Property(r => r.Mechanism).HasMaxLength(32);
    }
}

internal sealed class KmsUserConfiguration : IEntityTypeConfiguration<KmsUser>
{
    public void Configure(EntityTypeBuilder<KmsUser> user)
    {
        user.Property(u => u.OrgRole).HasConversion<string>().HasMaxLength(16);
        user.HasOne<Organization>().WithMany().HasForeignKey(u => u.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}
