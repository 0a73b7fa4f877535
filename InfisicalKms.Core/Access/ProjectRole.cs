namespace InfisicalKms.Core.Access;

/// <summary>Built-in project roles (spec §9.3), in declaration order.</summary>
public enum ProjectRole
{
    Admin,
    Member,
    Viewer,
    CryptographicOperator,
    NoAccess,
}

public static class ProjectRoles
{
    public static readonly WireNames<ProjectRole> Wire = new(
        (ProjectRole.Admin, "admin"),
        (ProjectRole.Member, "member"),
        (ProjectRole.Viewer, "viewer"),
        (ProjectRole.CryptographicOperator, "cryptographic-operator"),
        (ProjectRole.NoAccess, "no-access"));

    public static string ToWire(this ProjectRole role) => Wire.Name(role);
}
