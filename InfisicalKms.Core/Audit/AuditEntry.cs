using System.Globalization;
using InfisicalKms.Core.Errors;

namespace InfisicalKms.Core.Audit;

/// <summary>
/// The record of one operation, assembled while it runs. It is written only once the operation has
/// resolved its target (spec §1.8 step 5, then <see cref="Target"/>), whatever the outcome afterwards.
/// </summary>
public sealed class AuditEntry
{
    /// <summary>
    /// The only metadata keys a record may carry (spec §10.7.4 and the extensions). A closed list, so no
    /// code path can attach a payload, token or secret by accident.
    /// </summary>
    private static readonly HashSet<string> AllowedKeys = new(StringComparer.Ordinal)
    {
        "projectName", "projectId", "keyName", "algorithm", "changedFields", "keyVersion", "itemCount", "failedCount",
        "signingAlgorithm", "scheduled", "bulk", "enabled", "intervalDays", "keySize", "fromVersion", "toVersion",
        "targetIdentityId", "targetUserId", "role", "previousRole", "clientSecretId", "clientId", "email",
        "statusCode", "error", "prunedCount", "prunedBefore", "anchorHash", "action", "strategy",
        "clientName", "permissions", "serialNumber", "notAfter",   // KMIP clients (clientId is the KMIP client's ID there)
        "protocol", "kmipOperation", "located", "revocationReason",   // operations over KMIP (KmipOperations)
    };

    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    internal AuditEntry(string eventType, AuditActor actor, Guid organizationId, RequestOrigin origin)
    {
        EventType = eventType;
        Actor = actor;
        OrganizationId = organizationId;
        Origin = origin;
    }

    public string EventType { get; }

    public AuditActor Actor { get; private set; }

    public Guid OrganizationId { get; private set; }

    public RequestOrigin Origin { get; }

    public Guid? ProjectId { get; private set; }

    public Guid? KeyId { get; private set; }

    /// <summary>The operation reached its permission check: from here on it is recorded, success or failure.</summary>
    public bool IsTargeted { get; private set; }

    /// <summary>The wire name of the resolved key's algorithm, for the operation metrics; not part of the record.</summary>
    public string? KeyAlgorithm { get; internal set; }

    /// <summary>The success record was committed together with the operation's own changes.</summary>
    internal bool IsCommitted { get; set; }

    /// <summary>A project event about <paramref name="projectId"/> (and <paramref name="keyId"/>), in that project's chain.</summary>
    public AuditEntry Target(Guid projectId, Guid? keyId = null)
    {
        ProjectId = projectId;
        KeyId = keyId;
        IsTargeted = true;
        return this;
    }

    /// <summary>An organization event, in the organization's chain.</summary>
    public AuditEntry TargetOrganization()
    {
        ProjectId = null;
        KeyId = null;
        IsTargeted = true;
        return this;
    }

    /// <summary>Names the actor once it is known (a login names the identity whose client ID was sent).</summary>
    public AuditEntry ActingAs(AuditActor actor, Guid organizationId)
    {
        Actor = actor;
        OrganizationId = organizationId;
        return this;
    }

    public AuditEntry With(string key, string value)
    {
        if (!AllowedKeys.Contains(key))
        {
            throw new ArgumentException($"'{key}' is not an audit metadata key.", nameof(key));
        }

        _metadata[key] = value;
        return this;
    }

    public AuditEntry With(string key, long value) => With(key, value.ToString(CultureInfo.InvariantCulture));

    public AuditEntry With(string key, bool value) => With(key, value ? "true" : "false");

    internal AuditEvent Succeeded(DateTime now) => ToEvent("success", _metadata, now);

    /// <summary>The failure record: the metadata gathered so far plus the status code and error class (spec §2.2).</summary>
    internal AuditEvent Failed(Exception error, DateTime now)
    {
        (int status, string errorClass) = error is KmsException kms ? (kms.StatusCode, kms.Error) : (500, "InternalServerError");
        var metadata = new Dictionary<string, string>(_metadata, StringComparer.Ordinal)
        {
            ["statusCode"] = status.ToString(CultureInfo.InvariantCulture),
            ["error"] = errorClass,
        };
        return ToEvent("failure", metadata, now);
    }

    private AuditEvent ToEvent(string outcome, Dictionary<string, string> metadata, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(),
        OrganizationId = OrganizationId,
        ChainId = ProjectId ?? OrganizationId,
        EventType = EventType,
        ActorType = Actor.Type,
        ActorId = Actor.Id,
        ActorName = Actor.Name,
        ProjectId = ProjectId,
        KeyId = KeyId,
        IpAddress = Origin.IpAddress,
        UserAgent = Origin.UserAgent,
        Outcome = outcome,
        Metadata = new SortedDictionary<string, string>(metadata, StringComparer.Ordinal),
        CreatedAt = AuditHash.TruncateToMilliseconds(now),
    };
}
