using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace InfisicalKms.Core.Storage.Configurations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> org)
    {
        org.ToTable("Organizations");
        org.Property(o => o.Name).HasMaxLength(64);
        org.Property(o => o.Slug).HasMaxLength(32);
    }
}

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> project)
    {
        project.ToTable("Projects");
        project.Property(p => p.Name).HasMaxLength(64);
        project.Property(p => p.Slug).HasMaxLength(36);
        project.Property(p => p.Description).HasMaxLength(1024);
        project.HasIndex(p => new { p.OrganizationId, p.Slug }).IsUnique();
        project.HasOne<Organization>().WithMany().HasForeignKey(p => p.OrganizationId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IdentityMembershipConfiguration : IEntityTypeConfiguration<IdentityMembership>
{
    public void Configure(EntityTypeBuilder<IdentityMembership> membership)
    {
        membership.ToTable("IdentityMemberships");
        membership.Property(m => m.Role).HasConversion<string>().HasMaxLength(32);
        membership.HasIndex(m => new { m.ProjectId, m.IdentityId }).IsUnique();
        membership.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
        membership.HasOne<MachineIdentity>().WithMany().HasForeignKey(m => m.IdentityId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class UserMembershipConfiguration : IEntityTypeConfiguration<UserMembership>
{
    public void Configure(EntityTypeBuilder<UserMembership> membership)
    {
        membership.ToTable("UserMemberships");
        membership.Property(m => m.Role).HasConversion<string>().HasMaxLength(32);
        membership.HasIndex(m => new { m.ProjectId, m.UserId }).IsUnique();
        membership.HasOne<Project>().WithMany().HasForeignKey(m => m.ProjectId).OnDelete(DeleteBehavior.Cascade);
        membership.HasOne<KmsUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
