using Microsoft.AspNetCore.Identity;

namespace InfisicalKms.Core.Organizations;

/// <summary>A human account (ASP.NET Core Identity), member of one organization.</summary>
public sealed class KmsUser : IdentityUser<Guid>
{
    public Guid OrganizationId { get; set; }

    public OrgRole OrgRole { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>
    /// Set for an invited user, whose one-time password an admin has seen: the web interface lets the
    /// user do nothing but change it until they have.
    /// </summary>
    public bool MustChangePassword { get; set; }

    /// <summary>A confirmed account for <paramref name="email"/> (normalised for Identity's lookups), without a password yet.</summary>
    public static KmsUser Create(string email, Guid organizationId, OrgRole role, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        UserName = email,
        NormalizedUserName = email.ToUpperInvariant(),
        Email = email,
        NormalizedEmail = email.ToUpperInvariant(),
        EmailConfirmed = true,
        SecurityStamp = Guid.NewGuid().ToString("N"),
        OrganizationId = organizationId,
        OrgRole = role,
        CreatedAt = now,
    };
}
