namespace InfisicalKms.Core.Access;

/// <summary>The role tables of spec §9.3 and §9.4: the one place that says what a project role may do.</summary>
/// <remarks>
/// Fail closed: a permission missing from the tables is denied to every role but admin. The
/// cryptographic-operator deliberately lacks <c>read</c> on cmek: it uses keys by ID and cannot list them.
/// </remarks>
public static class RolePermissions
{
    private static readonly HashSet<Permission> Member =
    [
        Permission.ReadKey, Permission.CreateKey, Permission.EditKey, Permission.DeleteKey,
        Permission.Encrypt, Permission.Decrypt, Permission.Sign, Permission.Verify,
        Permission.GenerateMac, Permission.VerifyMac, Permission.RotateKey,
        Permission.ReadProject, Permission.ReadIdentityMemberships, Permission.ReadMembers, Permission.ReadAuditLogs,
        Permission.ReadKmipClients,
    ];

    private static readonly HashSet<Permission> Viewer =
    [
        Permission.ReadKey, Permission.ReadProject, Permission.ReadIdentityMemberships, Permission.ReadMembers, Permission.ReadAuditLogs,
        Permission.ReadKmipClients,
    ];

    private static readonly HashSet<Permission> CryptographicOperator =
    [
        Permission.Encrypt, Permission.Decrypt, Permission.Sign, Permission.Verify,
        Permission.GenerateMac, Permission.VerifyMac, Permission.ReadProject,
    ];

    public static bool Allows(this ProjectRole role, Permission permission) => role switch
    {
        ProjectRole.Admin => true,
        ProjectRole.Member => Member.Contains(permission),
        ProjectRole.Viewer => Viewer.Contains(permission),
        ProjectRole.CryptographicOperator => CryptographicOperator.Contains(permission),
        ProjectRole.NoAccess => false,
        _ => false,
    };
}
