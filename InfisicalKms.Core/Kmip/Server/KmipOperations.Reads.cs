using System.Security.Cryptography;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>Locate, Get, GetAttributes and GetAttributeList.</summary>
public sealed partial class KmipOperations
{
    /// <summary>Every attribute an object can have here, in this order (GetAttributeList).</summary>
    private static readonly string[] StandardAttributes =
    [
        KmipAttributeNames.UniqueIdentifier, KmipAttributeNames.Name, KmipAttributeNames.ObjectType,
        KmipAttributeNames.CryptographicAlgorithm, KmipAttributeNames.CryptographicLength, KmipAttributeNames.CryptographicUsageMask,
        KmipAttributeNames.State, KmipAttributeNames.InitialDate, KmipAttributeNames.ActivationDate, KmipAttributeNames.DeactivationDate,
        KmipAttributeNames.CompromiseDate, KmipAttributeNames.RevocationReason, KmipAttributeNames.LastChangeDate, KmipAttributeNames.Link,
    ];

    /// <summary>
    /// What GetAttributes returns when the request names none: all but Link and Revocation Reason, which are
    /// returned when named. PyKMIP 0.10, the common Python client, cannot decode those two and would fail on
    /// the whole response.
    /// </summary>
    private static readonly string[] DefaultAttributes =
        [.. StandardAttributes.Where(n => n is not (KmipAttributeNames.Link or KmipAttributeNames.RevocationReason))];

    private async Task<TtlvItem> LocateAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        KmipTemplate filter = KmipTemplate.From(payload);
        int? maximum = payload.Find(KmipTag.MaximumItems)?.AsInteger();
        int offset = payload.Find(KmipTag.OffsetItems)?.AsInteger() ?? 0;
        if (maximum is < 0 || offset < 0)
        {
            throw KmipException.InvalidField("Maximum Items and Offset Items must not be negative");
        }

        AuditEntry entry = Entry(caller, AuditEventTypes.ListKeys, KmipOperation.Locate);
        return await audit.RunAsync(entry, async () =>
        {
            entry.Target(caller.ProjectId);
            caller.Demand(KmipPermissions.Locate);
            KmipObjectType? objectType = filter.Get(KmipAttributeNames.ObjectType) is { } t ? (KmipObjectType)t.AsEnumeration() : null;
            KmipState? state = filter.Get(KmipAttributeNames.State) is { } s ? (KmipState)s.AsEnumeration() : null;
            IReadOnlyList<KeyAlgorithm> algorithms = KmipKeyMapping.Matching(filter.Algorithm, filter.Length);
            string? name = filter.Name;

            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            var rows = from k in db.Keys.AsNoTracking()
                       where k.ProjectId == caller.ProjectId && algorithms.Contains(k.Algorithm)
                       join st in db.KmipKeyStates.AsNoTracking() on k.Id equals st.KeyId into states
                       from st in states.DefaultIfEmpty()
                       select new { k.Id, k.Algorithm, k.IsDisabled, KmipName = st == null ? k.Name : st.Name, State = st == null ? (KmipState?)null : st.State };
            if (name is not null)
            {
                rows = rows.Where(r => r.KmipName == name);
            }

            var found = await rows.OrderBy(r => r.Id).ToListAsync(ct);
            List<string> uids = [.. found
                .Where(r => state is null || (r.State ?? (r.IsDisabled ? KmipState.Deactivated : KmipState.Active)) == state)
                .SelectMany(r => Objects(r.Id, r.Algorithm))
                .Where(o => objectType is null || o.Type == objectType)
                .Select(o => o.Id.ToString())];
            IEnumerable<string> page = uids.Skip(offset);
            page = maximum is { } max ? page.Take(max) : page;
            var items = new List<TtlvItem?>();
            if (context.AtLeast(1, 3))
            {
                items.Add(TtlvItem.Integer(KmipTag.LocatedItems, uids.Count));
            }

            items.AddRange(page.Select(uid => TtlvItem.Text(KmipTag.UniqueIdentifier, uid)));
            entry.With("located", uids.Count);
            return TtlvItem.Structure(KmipTag.ResponsePayload, items);
        });
    }

    private static IEnumerable<(KmipObjectId Id, KmipObjectType Type)> Objects(Guid keyId, KeyAlgorithm algorithm)
    {
        yield return (new KmipObjectId(keyId, false), KmipKeyMapping.ObjectType(algorithm, false));
        if (algorithm.Usage() == KeyUsage.SignVerify)
        {
            yield return (new KmipObjectId(keyId, true), KmipObjectType.PublicKey);
        }
    }

    /// <summary>
    /// The object with its key value. A public key needs the get permission only; a symmetric or private key is
    /// returned only when the key is exportable (keys made over KMIP are).
    /// </summary>
    private async Task<TtlvItem> GetAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        KmipObjectId id = ParseUid(uid);
        KmipKeyFormatType? format = payload.Find(KmipTag.KeyFormatType) is { } f ? (KmipKeyFormatType)f.AsEnumeration() : null;
        if (payload.Find(KmipTag.KeyWrappingSpecification) is not null)
        {
            throw new KmipException(KmipResultReason.FeatureNotSupported, "Key wrapping on Get is not supported");
        }

        AuditEntry entry = Entry(caller, id.IsPublic ? AuditEventTypes.GetPublicKey : AuditEventTypes.GetPrivateKey, KmipOperation.Get);
        return await audit.RunAsync(entry, async () =>
        {
            KmsKey key;
            byte[]? publicKey;
            await using (KmsDbContext db = await dbFactory.CreateDbContextAsync(ct))
            {
                (key, _) = await StoredAsync(db, caller, id, uid, tracked: false, ct);
                publicKey = await db.KeyVersions.AsNoTracking().Where(v => v.KeyId == key.Id && v.Version == key.Version)
                    .Select(v => v.PublicKey).FirstOrDefaultAsync(ct);
            }

            entry.Target(key.ProjectId, key.Id);
            entry.KeyAlgorithm = key.Algorithm.ToWire();
            caller.Demand(KmipPermissions.Get);
            KmipObjectType type = KmipKeyMapping.ObjectType(key.Algorithm, id.IsPublic);
            TtlvItem keyBlock;
            if (id.IsPublic)
            {
                keyBlock = PublicKeyBlock(key.Algorithm, publicKey!, format);
            }
            else
            {
                if (!key.IsExportable)
                {
                    throw new KmipException(KmipResultReason.PermissionDenied, $"Key '{uid}' is not exportable");
                }

                UsableKey usable = await ring.FindAsync(key.Id, ct) ?? throw KmipException.NotFound(uid);
                using KeyLease lease = ring.Current(usable);
                keyBlock = type == KmipObjectType.SymmetricKey
                    ? SymmetricKeyBlock(key.Algorithm, lease.Span, format)
                    : PrivateKeyBlock(key.Algorithm, lease.Span, format);
            }

            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Enumeration(KmipTag.ObjectType, (uint)type),
                TtlvItem.Text(KmipTag.UniqueIdentifier, uid),
                TtlvItem.Structure(type switch
                {
                    KmipObjectType.SymmetricKey => KmipTag.SymmetricKey,
                    KmipObjectType.PrivateKey => KmipTag.PrivateKey,
                    _ => KmipTag.PublicKey,
                }, keyBlock));
        });
    }

    private static TtlvItem SymmetricKeyBlock(KeyAlgorithm algorithm, ReadOnlySpan<byte> material, KmipKeyFormatType? format)
    {
        if (format is not (null or KmipKeyFormatType.Raw))
        {
            throw new KmipException(KmipResultReason.KeyFormatTypeNotSupported, $"Symmetric keys are returned as Raw, not {format}");
        }

        return KeyBlock(KmipKeyFormatType.Raw, TtlvItem.Bytes(KmipTag.KeyMaterial, material), algorithm, material.Length * 8);
    }

    /// <summary>PKCS#8 by default (the form the product stores); PKCS#1 for RSA on request.</summary>
    private static TtlvItem PrivateKeyBlock(KeyAlgorithm algorithm, ReadOnlySpan<byte> pkcs8, KmipKeyFormatType? format)
    {
        switch (format)
        {
            case null or KmipKeyFormatType.Pkcs8:
                return KeyBlock(KmipKeyFormatType.Pkcs8, TtlvItem.Bytes(KmipTag.KeyMaterial, pkcs8), algorithm, KmipKeyMapping.Length(algorithm));
            case KmipKeyFormatType.Pkcs1 when algorithm == KeyAlgorithm.Rsa4096:
                using (RSA rsa = RSA.Create())
                {
                    rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    byte[] pkcs1 = rsa.ExportRSAPrivateKey();
                    try
                    {
                        return KeyBlock(KmipKeyFormatType.Pkcs1, TtlvItem.Bytes(KmipTag.KeyMaterial, pkcs1), algorithm, KmipKeyMapping.Length(algorithm));
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(pkcs1);
                    }
                }

            default:
                throw new KmipException(KmipResultReason.KeyFormatTypeNotSupported, $"Private keys are returned as PKCS#8 (or PKCS#1 for RSA), not {format}");
        }
    }

    /// <summary>X.509 SubjectPublicKeyInfo by default; PKCS#1 for RSA on request.</summary>
    private static TtlvItem PublicKeyBlock(KeyAlgorithm algorithm, byte[] subjectPublicKeyInfo, KmipKeyFormatType? format)
    {
        switch (format)
        {
            case null or KmipKeyFormatType.X509:
                return KeyBlock(KmipKeyFormatType.X509, TtlvItem.Bytes(KmipTag.KeyMaterial, subjectPublicKeyInfo), algorithm, KmipKeyMapping.Length(algorithm));
            case KmipKeyFormatType.Pkcs1 when algorithm == KeyAlgorithm.Rsa4096:
                using (RSA rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                    return KeyBlock(KmipKeyFormatType.Pkcs1, TtlvItem.Bytes(KmipTag.KeyMaterial, rsa.ExportRSAPublicKey()), algorithm, KmipKeyMapping.Length(algorithm));
                }

            default:
                throw new KmipException(KmipResultReason.KeyFormatTypeNotSupported, $"Public keys are returned as X.509 (or PKCS#1 for RSA), not {format}");
        }
    }

    private static TtlvItem KeyBlock(KmipKeyFormatType format, TtlvItem material, KeyAlgorithm algorithm, int length) =>
        TtlvItem.Structure(KmipTag.KeyBlock,
            TtlvItem.Enumeration(KmipTag.KeyFormatType, (uint)format),
            TtlvItem.Structure(KmipTag.KeyValue, material),
            TtlvItem.Enumeration(KmipTag.CryptographicAlgorithm, (uint)KmipKeyMapping.Algorithm(algorithm)),
            TtlvItem.Integer(KmipTag.CryptographicLength, length));

    private async Task<TtlvItem> GetAttributesAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        List<string> names = [.. payload.FindAll(KmipTag.AttributeName).Select(n => n.AsText())];
        AuditEntry entry = Entry(caller, AuditEventTypes.GetKey, KmipOperation.GetAttributes);
        return await audit.RunAsync(entry, async () =>
        {
            (KmsKey key, KmipKeyState? state, KmipObjectId id) = await AttributeSourceAsync(caller, uid, entry, ct);
            IEnumerable<string> wanted = names.Count == 0 ? DefaultAttributes : names;
            var attributes = new List<TtlvItem?> { TtlvItem.Text(KmipTag.UniqueIdentifier, uid) };
            attributes.AddRange(wanted.Distinct(StringComparer.Ordinal).Select(n => Attribute(n, key, state, id)));
            return TtlvItem.Structure(KmipTag.ResponsePayload, attributes);
        });
    }

    private async Task<TtlvItem> GetAttributeListAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        AuditEntry entry = Entry(caller, AuditEventTypes.GetKey, KmipOperation.GetAttributeList);
        return await audit.RunAsync(entry, async () =>
        {
            (KmsKey key, KmipKeyState? state, KmipObjectId id) = await AttributeSourceAsync(caller, uid, entry, ct);
            var items = new List<TtlvItem?> { TtlvItem.Text(KmipTag.UniqueIdentifier, uid) };
            items.AddRange(StandardAttributes.Where(n => Attribute(n, key, state, id) is not null).Select(n => TtlvItem.Text(KmipTag.AttributeName, n)));
            return TtlvItem.Structure(KmipTag.ResponsePayload, items);
        });
    }

    private async Task<(KmsKey Key, KmipKeyState? State, KmipObjectId Id)> AttributeSourceAsync(KmipCaller caller, string uid, AuditEntry entry, CancellationToken ct)
    {
        KmipObjectId id = ParseUid(uid);
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (KmsKey key, KmipKeyState? state) = await StoredAsync(db, caller, id, uid, tracked: false, ct);
        entry.Target(key.ProjectId, key.Id);
        entry.KeyAlgorithm = key.Algorithm.ToWire();
        caller.Demand(KmipPermissions.GetAttributes);
        return (key, state, id);
    }

    /// <summary>One attribute of an object, or null when the object has no value for it.</summary>
    private static TtlvItem? Attribute(string name, KmsKey key, KmipKeyState? state, KmipObjectId id)
    {
        TtlvItem? value = name switch
        {
            KmipAttributeNames.UniqueIdentifier => TtlvItem.Text(KmipTag.AttributeValue, id.ToString()),
            KmipAttributeNames.Name => TtlvItem.Structure(KmipTag.AttributeValue,
                TtlvItem.Text(KmipTag.NameValue, state?.Name ?? key.Name),
                TtlvItem.Enumeration(KmipTag.NameType, (uint)KmipNameType.UninterpretedTextString)),
            KmipAttributeNames.ObjectType => TtlvItem.Enumeration(KmipTag.AttributeValue, (uint)KmipKeyMapping.ObjectType(key.Algorithm, id.IsPublic)),
            KmipAttributeNames.CryptographicAlgorithm => TtlvItem.Enumeration(KmipTag.AttributeValue, (uint)KmipKeyMapping.Algorithm(key.Algorithm)),
            KmipAttributeNames.CryptographicLength => TtlvItem.Integer(KmipTag.AttributeValue, KmipKeyMapping.Length(key.Algorithm)),
            KmipAttributeNames.CryptographicUsageMask => TtlvItem.Integer(KmipTag.AttributeValue, (int)(
                id.IsPublic || state is null ? (uint)KmipKeyMapping.DefaultUsageMask(key.Algorithm, id.IsPublic) : state.UsageMask)),
            KmipAttributeNames.State => TtlvItem.Enumeration(KmipTag.AttributeValue, (uint)StateOf(key, state)),
            KmipAttributeNames.InitialDate => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(key.CreatedAt)),
            KmipAttributeNames.LastChangeDate => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(key.UpdatedAt)),
            KmipAttributeNames.ActivationDate when state?.ActivationDate is { } at => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(at)),
            KmipAttributeNames.ActivationDate when state is null => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(key.CreatedAt)),
            KmipAttributeNames.DeactivationDate when state?.DeactivationDate is { } at => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(at)),
            KmipAttributeNames.CompromiseDate when state?.CompromiseDate is { } at => TtlvItem.DateTime(KmipTag.AttributeValue, Utc(at)),
            KmipAttributeNames.RevocationReason when state?.RevocationReason is { } code => TtlvItem.Structure(KmipTag.AttributeValue,
                TtlvItem.Enumeration(KmipTag.RevocationReasonCode, code),
                state.RevocationMessage is { } message ? TtlvItem.Text(KmipTag.RevocationMessage, message) : null),
            KmipAttributeNames.Link when key.Usage == KeyUsage.SignVerify => TtlvItem.Structure(KmipTag.AttributeValue,
                TtlvItem.Enumeration(KmipTag.LinkType, (uint)(id.IsPublic ? KmipLinkType.PrivateKeyLink : KmipLinkType.PublicKeyLink)),
                TtlvItem.Text(KmipTag.LinkedObjectIdentifier, (id with { IsPublic = !id.IsPublic }).ToString())),
            _ => null,
        };
        return value is null ? null : TtlvItem.Structure(KmipTag.Attribute, TtlvItem.Text(KmipTag.AttributeName, name), value);
    }

    private static DateTimeOffset Utc(DateTime at) => new(DateTime.SpecifyKind(at, DateTimeKind.Utc));
}
