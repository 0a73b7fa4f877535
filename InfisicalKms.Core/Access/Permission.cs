namespace InfisicalKms.Core.Access;

/// <summary>An action on a subject (spec §9.1), e.g. <c>encrypt</c> on <c>cmek</c>.</summary>
public sealed record Permission(string Subject, string Action)
{
    public static class Subjects
    {
        public const string Cmek = "cmek";
        public const string Project = "project";
        public const string Identity = "identity";
        public const string Member = "member";
        public const string AuditLogs = "audit-logs";
        public const string Kmip = "kmip";
    }

    public static readonly Permission ReadKey = new(Subjects.Cmek, "read");
    public static readonly Permission CreateKey = new(Subjects.Cmek, "create");
    public static readonly Permission EditKey = new(Subjects.Cmek, "edit");
    public static readonly Permission DeleteKey = new(Subjects.Cmek, "delete");
    public static readonly Permission Encrypt = new(Subjects.Cmek, "encrypt");
    public static readonly Permission Decrypt = new(Subjects.Cmek, "decrypt");
    public static readonly Permission Sign = new(Subjects.Cmek, "sign");
    public static readonly Permission Verify = new(Subjects.Cmek, "verify");
    public static readonly Permission GenerateMac = new(Subjects.Cmek, "generate-mac");
    public static readonly Permission VerifyMac = new(Subjects.Cmek, "verify-mac");
    public static readonly Permission RotateKey = new(Subjects.Cmek, "rotate");
    public static readonly Permission ExportKey = new(Subjects.Cmek, "export-private-key");

    public static readonly Permission ReadProject = new(Subjects.Project, "read");
    public static readonly Permission DeleteProject = new(Subjects.Project, "delete");
    public static readonly Permission ReadIdentityMemberships = new(Subjects.Identity, "read");
    public static readonly Permission CreateIdentityMembership = new(Subjects.Identity, "create");
    public static readonly Permission DeleteIdentityMembership = new(Subjects.Identity, "delete");
    public static readonly Permission ReadMembers = new(Subjects.Member, "read");
    public static readonly Permission CreateMember = new(Subjects.Member, "create");
    public static readonly Permission DeleteMember = new(Subjects.Member, "delete");
    public static readonly Permission ReadAuditLogs = new(Subjects.AuditLogs, "read");

    // KMIP clients of a project (Infisical's action names); "update-clients" also revokes.
    public static readonly Permission ReadKmipClients = new(Subjects.Kmip, "read-clients");
    public static readonly Permission CreateKmipClients = new(Subjects.Kmip, "create-clients");
    public static readonly Permission UpdateKmipClients = new(Subjects.Kmip, "update-clients");
    public static readonly Permission DeleteKmipClients = new(Subjects.Kmip, "delete-clients");
    public static readonly Permission GenerateKmipClientCertificates = new(Subjects.Kmip, "generate-client-certificates");
}
