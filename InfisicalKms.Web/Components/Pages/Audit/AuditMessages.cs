namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>What the audit pages tell people who may not read a chain (the tests check these words).</summary>
public static class AuditMessages
{
    public const string CannotRead = "Your role cannot read the audit log. The viewer, member and admin roles can.";

    public const string ProjectNotFound = "This project does not exist, or you are not a member of it.";

    public const string OrganizationRestricted = "Access restricted: only organization admins can read the organization audit log.";
}
