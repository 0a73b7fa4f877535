namespace InfisicalKms.Core.Audit;

/// <summary>The event types of spec §10.7.4, plus this product's extensions (marked).</summary>
public static class AuditEventTypes
{
    public const string CreateProject = "create-project";
    public const string DeleteProject = "delete-project";
    public const string CreateKey = "create-cmek";
    public const string UpdateKey = "update-cmek";
    public const string DeleteKey = "delete-cmek";
    public const string ListKeys = "get-cmeks";
    public const string GetKey = "get-cmek";
    public const string Encrypt = "cmek-encrypt";
    public const string Decrypt = "cmek-decrypt";
    public const string Sign = "cmek-sign";
    public const string Verify = "cmek-verify";
    public const string GetPublicKey = "cmek-get-public-key";
    public const string ListSigningAlgorithms = "cmek-list-signing-algorithms";
    public const string Rotate = "cmek-rotate";
    public const string GetPrivateKey = "cmek-get-private-key";
    public const string Import = "cmek-import";
    public const string GenerateMac = "cmek-generate-mac";
    public const string VerifyMac = "cmek-verify-mac";
    public const string ListVersions = "cmek-list-versions";
    public const string UpdateRotationSchedule = "cmek-update-rotation-schedule";
    public const string GenerateDataKey = "cmek-generate-data-key";
    public const string Rewrap = "cmek-rewrap";
    public const string AddIdentityMembership = "add-identity-membership";
    public const string RemoveIdentityMembership = "remove-identity-membership";
    public const string AddUserMembership = "add-user-membership";
    public const string RemoveUserMembership = "remove-user-membership";

    public const string BootstrapInstance = "bootstrap-instance";
    public const string LoginUniversalAuth = "login-identity-universal-auth";
    public const string RenewAccessToken = "renew-access-token";
    public const string RevokeAccessToken = "revoke-access-token";
    public const string CreateIdentity = "create-identity";
    public const string DeleteIdentity = "delete-identity";
    public const string AddUniversalAuth = "add-identity-universal-auth";
    public const string CreateClientSecret = "create-identity-universal-auth-client-secret";
    public const string RevokeClientSecret = "revoke-identity-universal-auth-client-secret";
    public const string RootKeyRewrap = "root-key-rewrap";

    /// <summary>Extension: a project member's role changed in the web interface (the API removes and re-adds).</summary>
    public const string UpdateUserMembership = "update-user-membership";

    /// <summary>Extension: see <see cref="UpdateUserMembership"/>.</summary>
    public const string UpdateIdentityMembership = "update-identity-membership";

    /// <summary>Extension: a person signed in to the web interface (or failed to).</summary>
    public const string LoginUser = "login-user";

    /// <summary>Extension: an organization admin created a user account (invitation).</summary>
    public const string CreateUser = "create-user";

    /// <summary>Extension: an organization admin removed a user account.</summary>
    public const string DeleteUser = "delete-user";

    /// <summary>Extension: retention removed the oldest records of a chain; the record carries the checkpoint.</summary>
    public const string AuditLogPruned = "audit-log-pruned";

    /// <summary>Extension: a KMIP client was created in a project.</summary>
    public const string CreateKmipClient = "create-kmip-client";

    /// <summary>Extension: a KMIP client's name, description or permissions changed.</summary>
    public const string UpdateKmipClient = "update-kmip-client";

    /// <summary>Extension: a KMIP client was revoked; its certificates are refused from then on.</summary>
    public const string RevokeKmipClient = "revoke-kmip-client";

    /// <summary>Extension: a KMIP client was deleted with its certificates.</summary>
    public const string DeleteKmipClient = "delete-kmip-client";

    /// <summary>Extension: a certificate was issued to a KMIP client (the record names its serial number, never its private key).</summary>
    public const string IssueKmipClientCertificate = "issue-kmip-client-certificate";

    /// <summary>Every type a project chain can hold, for filters in the UI.</summary>
    public static readonly IReadOnlyList<string> ProjectEvents =
    [
        CreateProject, CreateKey, UpdateKey, DeleteKey, ListKeys, GetKey, Encrypt, Decrypt, Sign, Verify, GetPublicKey,
        ListSigningAlgorithms, Rotate, GetPrivateKey, Import, GenerateMac, VerifyMac, ListVersions, UpdateRotationSchedule,
        GenerateDataKey, Rewrap, AddIdentityMembership, RemoveIdentityMembership, AddUserMembership, RemoveUserMembership,
        UpdateUserMembership, UpdateIdentityMembership, AuditLogPruned,
        CreateKmipClient, UpdateKmipClient, RevokeKmipClient, DeleteKmipClient, IssueKmipClientCertificate,
    ];
}
