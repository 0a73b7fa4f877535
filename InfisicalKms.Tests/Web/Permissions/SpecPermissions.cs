namespace InfisicalKms.Tests.Web.Permissions;

/// <summary>
/// The callers the permission matrix walks: an organization admin, an organization member with each project
/// role (spec §9.3) in the target project, and an organization member with no membership there (§9.7).
/// </summary>
public enum MatrixRole
{
    OrgAdmin,
    ProjectAdmin,
    Member,
    Viewer,
    CryptographicOperator,
    NoAccess,
    NonMember,
}

public enum RightKind
{
    /// <summary>No token needed (login, renew, revoke, bootstrap, status, OpenAPI).</summary>
    None,

    /// <summary>Any authenticated caller (list projects).</summary>
    AnyCaller,

    /// <summary>Organization admins only (§9.5); members get 403 on the subject.</summary>
    OrgAdmin,

    /// <summary>Actions on a project subject, checked in order (§9.6); non-members get 404 (§9.7).</summary>
    Project,
}

/// <summary>The right a route requires, as spec §0 states it.</summary>
public sealed record Right(RightKind Kind, string Subject, IReadOnlyList<string> Actions)
{
    public static readonly Right None = new(RightKind.None, "", []);
    public static readonly Right AnyCaller = new(RightKind.AnyCaller, "", []);

    public static Right OrgAdmin(string subject, string action) => new(RightKind.OrgAdmin, subject, [action]);

    public static Right Cmek(params string[] actions) => new(RightKind.Project, "cmek", actions);

    public static Right On(string subject, string action) => new(RightKind.Project, subject, [action]);

    public override string ToString() => Kind switch
    {
        RightKind.None => "none",
        RightKind.AnyCaller => "any caller",
        RightKind.OrgAdmin => $"organization admin ({Actions[0]} on {Subject})",
        _ => $"{string.Join(" and ", Actions)} on {Subject}",
    };
}

public enum OutcomeKind
{
    Allowed,
    PermissionDenied,
    NotFound,
}

/// <summary>What a caller must get: the route's answer, 403 with this message, or the route's 404 (§9.7).</summary>
public sealed record Outcome(OutcomeKind Kind, string? Message = null)
{
    public static readonly Outcome Allowed = new(OutcomeKind.Allowed);
    public static readonly Outcome NotFound = new(OutcomeKind.NotFound);

    public static Outcome Denied(string action, string subject) => new(OutcomeKind.PermissionDenied, $"You are not allowed to {action} on {subject}");
}

/// <summary>
/// Spec §9.1 and §9.3–§9.5 transcribed, the one place the matrix tests (API and UI) take role rights from.
/// Written from the spec, not from the app's <c>RolePermissions</c>, so that the two can disagree.
/// </summary>
public static class SpecPermissions
{
    private static readonly string[] AllCmek =
        ["read", "create", "edit", "delete", "encrypt", "decrypt", "sign", "verify", "generate-mac", "verify-mac", "rotate", "export-private-key"];

    private static readonly string[] Operations = ["encrypt", "decrypt", "sign", "verify", "generate-mac", "verify-mac"];

    /// <summary>Issue 16's KMIP client actions (Infisical's names); not in the spec, which offers no KMIP.</summary>
    private static readonly string[] AllKmip = ["read-clients", "create-clients", "update-clients", "delete-clients", "generate-client-certificates"];

    /// <summary>Project role → "subject:action" grants (§9.3 for cmek, §9.4 for the other subjects).</summary>
    private static readonly Dictionary<string, HashSet<string>> Grants = new()
    {
        ["admin"] =
        [
            .. AllCmek.Select(a => "cmek:" + a),
            "project:read", "project:delete", "identity:read", "identity:create", "identity:delete",
            "member:read", "member:create", "member:delete", "audit-logs:read",
            .. AllKmip.Select(a => "kmip:" + a),
        ],
        ["member"] =
        [
            .. AllCmek.Where(a => a != "export-private-key").Select(a => "cmek:" + a),
            "project:read", "identity:read", "member:read", "audit-logs:read", "kmip:read-clients",
        ],
        ["viewer"] = ["cmek:read", "project:read", "identity:read", "member:read", "audit-logs:read", "kmip:read-clients"],
        ["cryptographic-operator"] = [.. Operations.Select(a => "cmek:" + a), "project:read"],
        ["no-access"] = [],
    };

    public static IEnumerable<MatrixRole> Roles => Enum.GetValues<MatrixRole>();

    /// <summary>The role's name in test output and in the identities it creates.</summary>
    public static string Name(this MatrixRole role) => role switch
    {
        MatrixRole.OrgAdmin => "org-admin",
        MatrixRole.ProjectAdmin => "project-admin",
        MatrixRole.Member => "member",
        MatrixRole.Viewer => "viewer",
        MatrixRole.CryptographicOperator => "cryptographic-operator",
        MatrixRole.NoAccess => "no-access",
        MatrixRole.NonMember => "non-member",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    /// <summary>The project role the caller's membership carries (wire name), or null for the organization admin and the non-member.</summary>
    public static string? MembershipRole(this MatrixRole role) => role switch
    {
        MatrixRole.ProjectAdmin => "admin",
        MatrixRole.OrgAdmin or MatrixRole.NonMember => null,
        _ => role.Name(),
    };

    /// <summary>§9.1: admin for organization admins, else the membership's role, else none.</summary>
    public static string? EffectiveProjectRole(this MatrixRole role) => role == MatrixRole.OrgAdmin ? "admin" : role.MembershipRole();

    private static bool IsGranted(string projectRole, string subject, string action) => Grants[projectRole].Contains($"{subject}:{action}");

    /// <summary>What <paramref name="role"/> must get from a route that requires <paramref name="right"/>.</summary>
    public static Outcome Expect(Right right, MatrixRole role)
    {
        switch (right.Kind)
        {
            case RightKind.None or RightKind.AnyCaller:
                return Outcome.Allowed;
            case RightKind.OrgAdmin:
                return role == MatrixRole.OrgAdmin ? Outcome.Allowed : Outcome.Denied(right.Actions[0], right.Subject);
            default:
                if (role.EffectiveProjectRole() is not { } projectRole)
                {
                    return Outcome.NotFound;
                }

                // Two actions are checked in the order §0 writes them; the first missing one is reported (§9.6).
                string? missing = right.Actions.FirstOrDefault(a => !IsGranted(projectRole, right.Subject, a));
                return missing is null ? Outcome.Allowed : Outcome.Denied(missing, right.Subject);
        }
    }
}
