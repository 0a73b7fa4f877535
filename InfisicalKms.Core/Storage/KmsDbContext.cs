using InfisicalKms.Core.Auth;
using InfisicalKms.Core.Identities;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Organizations;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.RootKeys;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Storage;

/// <summary>
/// The key store and the accounts (ASP.NET Core Identity users) in one database. Provider-neutral: no
/// SQLite-only SQL, timestamps as UTC <see cref="DateTime"/>.
/// </summary>
/// <remarks>
/// New migration: <c>dotnet ef migrations add &lt;Name&gt; --project InfisicalKms.Core --startup-project InfisicalKms.Web --output-dir Storage/Migrations</c>.
/// </remarks>
public sealed class KmsDbContext(DbContextOptions<KmsDbContext> options)
    : IdentityDbContext<KmsUser, IdentityRole<Guid>, Guid>(options)
{
    public DbSet<RootKeyRecord> RootKeys => Set<RootKeyRecord>();

    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<Project> Projects => Set<Project>();

    public DbSet<KmsKey> Keys => Set<KmsKey>();

    public DbSet<KeyVersion> KeyVersions => Set<KeyVersion>();

    public DbSet<MachineIdentity> Identities => Set<MachineIdentity>();

    public DbSet<UniversalAuthConfig> UniversalAuths => Set<UniversalAuthConfig>();

    public DbSet<ClientSecret> ClientSecrets => Set<ClientSecret>();

    public DbSet<AccessToken> AccessTokens => Set<AccessToken>();

    public DbSet<IdentityMembership> IdentityMemberships => Set<IdentityMembership>();

    public DbSet<UserMembership> UserMemberships => Set<UserMembership>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(KmsDbContext).Assembly);
    }
}
