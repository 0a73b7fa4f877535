using Microsoft.AspNetCore.Identity;

namespace InfisicalKms.Core.Organizations;

/// <summary>A human account (ASP.NET Core Identity), member of one organization.</summary>
public sealed class KmsUser : IdentityUser<Guid>
{
    public Guid OrganizationId { get; set; }

    public OrgRole OrgRole { get; set; }

    public DateTime CreatedAt { get; set; }
}
