namespace InfisicalKms.Core.Organizations;

/// <summary>Organization roles (spec §9.5). Admins are implicitly admin in every project.</summary>
public enum OrgRole
{
    Admin,
    Member,
}

public static class OrgRoles
{
    public static readonly WireNames<OrgRole> Wire = new((OrgRole.Admin, "admin"), (OrgRole.Member, "member"));

    public static string ToWire(this OrgRole role) => Wire.Name(role);
}
