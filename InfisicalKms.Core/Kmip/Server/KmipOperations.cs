using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// The KMIP operations on the project's own keys. Each is the product's operation: the same keys, the same
/// one crypto path (<see cref="KeyRing"/>, <see cref="KeyCryptoService"/>), and an audit record in the
/// project chain with the client as actor.
/// </summary>
/// <remarks>
/// Order of checks, as the REST routes: the object in the client's project (else Item Not Found, whether it
/// does not exist or belongs to another project), then the client's permission, then state and usage.
/// </remarks>
public sealed partial class KmipOperations(
    IDbContextFactory<KmsDbContext> dbFactory, KeyRing ring, KeyCryptoService crypto, EnvelopeEncryptor envelope, AuditLog audit, TimeProvider clock)
{
    public const int MaxKeyNameLength = 32;

    public static readonly KmipOperation[] Supported =
    [
        KmipOperation.Create, KmipOperation.CreateKeyPair, KmipOperation.Register, KmipOperation.Locate, KmipOperation.Get,
        KmipOperation.GetAttributes, KmipOperation.GetAttributeList, KmipOperation.Activate, KmipOperation.Revoke,
        KmipOperation.Destroy, KmipOperation.Query, KmipOperation.DiscoverVersions, KmipOperation.Encrypt,
        KmipOperation.Decrypt, KmipOperation.Sign, KmipOperation.SignatureVerify, KmipOperation.Mac,
    ];

    public Task<TtlvItem> RunAsync(KmipRequestContext context, KmipOperation operation, TtlvItem payload, CancellationToken ct) => operation switch
    {
        KmipOperation.DiscoverVersions => Task.FromResult(DiscoverVersions(payload)),
        KmipOperation.Query => Task.FromResult(Query(payload)),
        KmipOperation.Create => CreateAsync(context, payload, ct),
        KmipOperation.CreateKeyPair => CreateKeyPairAsync(context, payload, ct),
        KmipOperation.Register => RegisterAsync(context, payload, ct),
        KmipOperation.Locate => LocateAsync(context, payload, ct),
        KmipOperation.Get => GetAsync(context, payload, ct),
        KmipOperation.GetAttributes => GetAttributesAsync(context, payload, ct),
        KmipOperation.GetAttributeList => GetAttributeListAsync(context, payload, ct),
        KmipOperation.Activate => ActivateAsync(context, payload, ct),
        KmipOperation.Revoke => RevokeAsync(context, payload, ct),
        KmipOperation.Destroy => DestroyAsync(context, payload, ct),
        KmipOperation.Encrypt => EncryptAsync(context, payload, ct),
        KmipOperation.Decrypt => DecryptAsync(context, payload, ct),
        KmipOperation.Sign => SignAsync(context, payload, ct),
        KmipOperation.SignatureVerify => SignatureVerifyAsync(context, payload, ct),
        KmipOperation.Mac => MacAsync(context, payload, ct),
        _ => throw new KmipException(KmipResultReason.OperationNotSupported, $"Operation {operation} is not supported by this server"),
    };

    private static TtlvItem DiscoverVersions(TtlvItem payload)
    {
        List<(int, int)> asked = [.. payload.FindAll(KmipTag.ProtocolVersion)
            .Select(v => (v.Require(KmipTag.ProtocolVersionMajor).AsInteger(), v.Require(KmipTag.ProtocolVersionMinor).AsInteger()))];
        IEnumerable<(int, int)> answer = asked.Count == 0 ? KmipServer.SupportedVersions : asked.Where(KmipServer.SupportedVersions.Contains);
        return TtlvItem.Structure(KmipTag.ResponsePayload, answer.Select(v => (TtlvItem?)KmipServer.ProtocolVersion(v)));
    }

    private static TtlvItem Query(TtlvItem payload)
    {
        HashSet<KmipQueryFunction> functions = [.. payload.FindAll(KmipTag.QueryFunction).Select(f => (KmipQueryFunction)f.AsEnumeration())];
        var items = new List<TtlvItem?>();
        if (functions.Contains(KmipQueryFunction.QueryOperations))
        {
            items.AddRange(Supported.Select(o => TtlvItem.Enumeration(KmipTag.Operation, (uint)o)));
        }

        if (functions.Contains(KmipQueryFunction.QueryObjects))
        {
            items.AddRange(new[] { KmipObjectType.SymmetricKey, KmipObjectType.PublicKey, KmipObjectType.PrivateKey }
                .Select(o => TtlvItem.Enumeration(KmipTag.ObjectType, (uint)o)));
        }

        if (functions.Contains(KmipQueryFunction.QueryServerInformation))
        {
            items.Add(TtlvItem.Text(KmipTag.VendorIdentification, KmipServer.VendorIdentification));
            items.Add(TtlvItem.Structure(KmipTag.ServerInformation));
        }

        return TtlvItem.Structure(KmipTag.ResponsePayload, items);
    }

    // ---- helpers shared by the operations ----

    private AuditEntry Entry(KmipCaller caller, string eventType, KmipOperation operation) =>
        audit.Entry(caller.AuditActor, caller.OrganizationId, caller.Origin, eventType)
            .With("protocol", "kmip").With("kmipOperation", operation.ToString());

    /// <summary>The request's Unique Identifier, or the ID placeholder an earlier batch item left.</summary>
    private static string Uid(KmipRequestContext context, TtlvItem payload) =>
        payload.Find(KmipTag.UniqueIdentifier)?.AsText() ?? context.IdPlaceholder ?? throw KmipException.Missing("Unique Identifier");

    private static KmipObjectId ParseUid(string uid) =>
        KmipObjectId.TryParse(uid, out KmipObjectId id) ? id : throw KmipException.NotFound(uid);

    /// <summary>The key behind a cryptographic operation, through the key ring's caches (the hot path).</summary>
    private async Task<UsableKey> UsableAsync(KmipCaller caller, string uid, AuditEntry entry, KmipPermissions permission, KeyUsage usage, CancellationToken ct)
    {
        KmipObjectId id = ParseUid(uid);
        UsableKey? key = await ring.FindAsync(id.KeyId, ct);
        if (key is null || key.ProjectId != caller.ProjectId || (id.IsPublic && key.Usage != KeyUsage.SignVerify))
        {
            throw KmipException.NotFound(uid);
        }

        entry.Target(key.ProjectId, key.Id);
        entry.KeyAlgorithm = key.Algorithm.ToWire();
        caller.Demand(permission);
        if (key.IsDisabled)
        {
            throw new KmipException(KmipResultReason.PermissionDenied, $"Key '{uid}' is not Active (it is pre-active, revoked or disabled)");
        }

        if (key.Usage != usage)
        {
            throw new KmipException(KmipResultReason.IllegalOperation, $"Key '{uid}' is a {key.Usage.ToWire()} key and cannot do this operation");
        }

        return key;
    }

    /// <summary>The key's row and KMIP state, read from the database (management operations).</summary>
    private static async Task<(KmsKey Key, KmipKeyState? State)> StoredAsync(KmsDbContext db, KmipCaller caller, KmipObjectId id, string uid, bool tracked, CancellationToken ct)
    {
        IQueryable<KmsKey> keys = tracked ? db.Keys : db.Keys.AsNoTracking();
        KmsKey? key = await keys.FirstOrDefaultAsync(k => k.Id == id.KeyId, ct);
        if (key is null || key.ProjectId != caller.ProjectId || (id.IsPublic && key.Usage != KeyUsage.SignVerify))
        {
            throw KmipException.NotFound(uid);
        }

        IQueryable<KmipKeyState> states = tracked ? db.KmipKeyStates : db.KmipKeyStates.AsNoTracking();
        return (key, await states.FirstOrDefaultAsync(s => s.KeyId == key.Id, ct));
    }

    /// <summary>The KMIP state of a key: its own row's, or Active/Deactivated by the disabled flag for keys made outside KMIP.</summary>
    public static KmipState StateOf(KmsKey key, KmipKeyState? state) =>
        state?.State ?? (key.IsDisabled ? KmipState.Deactivated : KmipState.Active);

    /// <summary>The client's project; gone only when it was deleted while the client's connection was open.</summary>
    private static async Task<Project> ProjectAsync(KmsDbContext db, KmipCaller caller, CancellationToken ct) =>
        await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == caller.ProjectId, ct)
            ?? throw new KmipException(KmipResultReason.PermissionDenied, "This KMIP client's project has been deleted");

    /// <summary>A free key name made from the KMIP name: a slug, with part of the key's ID when the slug is taken.</summary>
    private static async Task<string> KeyNameAsync(KmsDbContext db, Guid projectId, string? kmipName, Guid keyId, CancellationToken ct)
    {
        string idPart = keyId.ToString("N")[^8..];
        string slug = SlugRule.Slugify(kmipName ?? "", MaxKeyNameLength, $"kmip-{idPart}");
        if (!await db.Keys.AnyAsync(k => k.ProjectId == projectId && k.Name == slug, ct))
        {
            return slug;
        }

        string stem = slug.Length > MaxKeyNameLength - 9 ? slug[..(MaxKeyNameLength - 9)].TrimEnd('-') : slug;
        return $"{stem}-{idPart}";
    }
}
