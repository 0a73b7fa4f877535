namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>What the audit pages tell people: refusals (the tests check these words) and counts.</summary>
public static class AuditMessages
{
    public const string CannotRead = "Your role cannot read the audit log. The viewer, member and admin roles can.";

    public const string ProjectNotFound = "This project does not exist, or you are not a member of it.";

    public const string OrganizationRestricted = "Access restricted: only organization admins can read the organization audit log.";

    public static string Records(long count) => count == 1 ? "1 record" : $"{count} records";
}
