using System.Globalization;
using System.Security.Cryptography;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>Create, CreateKeyPair, Register, Activate, Revoke and Destroy: the operations that change keys.</summary>
public sealed partial class KmipOperations
{
    private async Task<TtlvItem> CreateAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        var objectType = (KmipObjectType)payload.Require(KmipTag.ObjectType).AsEnumeration();
        KmipTemplate template = KmipTemplate.From(payload.Find(KmipTag.TemplateAttribute));
        AuditEntry entry = Entry(caller, AuditEventTypes.CreateKey, KmipOperation.Create);
        return await audit.RunAsync(entry, async () =>
        {
            entry.Target(caller.ProjectId);
            caller.Demand(KmipPermissions.Create);
            if (objectType != KmipObjectType.SymmetricKey)
            {
                throw new KmipException(KmipResultReason.InvalidField, $"Create makes symmetric keys only; use CreateKeyPair for {objectType}");
            }

            KmipCryptographicAlgorithm algorithm = template.Algorithm ?? throw KmipException.Missing("Cryptographic Algorithm attribute");
            KeyAlgorithm product = KmipKeyMapping.Symmetric(algorithm, template.Length)
                ?? throw new KmipException(KmipResultReason.InvalidField,
                    $"Unsupported key: {algorithm} with length {template.Length?.ToString(CultureInfo.InvariantCulture) ?? "none"}; this server creates AES-128, AES-256 and HMAC keys");
            using GeneratedKey generated = KeyGenerator.Generate(product);
            KmsKey key = await AddKeyAsync(caller, entry, product, generated.Material, null, template, ct);
            context.IdPlaceholder = key.Id.ToString();
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Enumeration(KmipTag.ObjectType, (uint)KmipObjectType.SymmetricKey),
                TtlvItem.Text(KmipTag.UniqueIdentifier, key.Id.ToString()));
        });
    }

    private async Task<TtlvItem> CreateKeyPairAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        KmipTemplate common = KmipTemplate.From(payload.Find(KmipTag.CommonTemplateAttribute));
        KmipTemplate priv = KmipTemplate.From(payload.Find(KmipTag.CommonTemplateAttribute), payload.Find(KmipTag.PrivateKeyTemplateAttribute));
        AuditEntry entry = Entry(caller, AuditEventTypes.CreateKey, KmipOperation.CreateKeyPair);
        return await audit.RunAsync(entry, async () =>
        {
            entry.Target(caller.ProjectId);
            caller.Demand(KmipPermissions.Create);
            KmipCryptographicAlgorithm algorithm = priv.Algorithm ?? common.Algorithm ?? throw KmipException.Missing("Cryptographic Algorithm attribute");
            KeyAlgorithm product = KmipKeyMapping.KeyPair(algorithm, priv.Length, priv.Curve)
                ?? throw new KmipException(KmipResultReason.InvalidField,
                    $"Unsupported key pair: {algorithm} with length {priv.Length?.ToString(CultureInfo.InvariantCulture) ?? "none"}; this server creates RSA-4096 and ECDSA P-256, P-384 and P-521 key pairs");

            // RSA-4096 generation costs about a second of CPU: keep it off the connection's thread.
            using GeneratedKey generated = await Task.Run(() => KeyGenerator.Generate(product), ct);
            KmsKey key = await AddKeyAsync(caller, entry, product, generated.Material, generated.PublicKey, priv, ct);
            var id = new KmipObjectId(key.Id, IsPublic: false);
            context.IdPlaceholder = id.ToString();
            return TtlvItem.Structure(KmipTag.ResponsePayload,
                TtlvItem.Text(KmipTag.PrivateKeyUniqueIdentifier, id.ToString()),
                TtlvItem.Text(KmipTag.PublicKeyUniqueIdentifier, (id with { IsPublic = true }).ToString()));
        });
    }

    private async Task<TtlvItem> RegisterAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        var objectType = (KmipObjectType)payload.Require(KmipTag.ObjectType).AsEnumeration();
        KmipTemplate template = KmipTemplate.From(payload.Find(KmipTag.TemplateAttribute));
        AuditEntry entry = Entry(caller, AuditEventTypes.Import, KmipOperation.Register);
        return await audit.RunAsync(entry, async () =>
        {
            entry.Target(caller.ProjectId);
            caller.Demand(KmipPermissions.Register);
            if (objectType != KmipObjectType.SymmetricKey)
            {
                throw new KmipException(KmipResultReason.InvalidField, $"Register takes symmetric keys only, not {objectType}");
            }

            TtlvItem block = payload.Require(KmipTag.SymmetricKey).Require(KmipTag.KeyBlock);
            var format = (KmipKeyFormatType)block.Require(KmipTag.KeyFormatType).AsEnumeration();
            TtlvItem value = block.Require(KmipTag.KeyValue).Require(KmipTag.KeyMaterial);
            byte[] bytes = format switch
            {
                KmipKeyFormatType.Raw => value.AsBytes(),
                KmipKeyFormatType.TransparentSymmetricKey => value.Require(KmipTag.Key).AsBytes(),
                _ => throw new KmipException(KmipResultReason.KeyFormatTypeNotSupported, $"Key format {format} is not supported; send Raw key material"),
            };
            try
            {
                KmipCryptographicAlgorithm algorithm = block.Find(KmipTag.CryptographicAlgorithm) is { } a
                    ? (KmipCryptographicAlgorithm)a.AsEnumeration()
                    : template.Algorithm ?? throw KmipException.Missing("Cryptographic Algorithm");
                int length = block.Find(KmipTag.CryptographicLength)?.AsInteger() ?? template.Length ?? bytes.Length * 8;
                if (length != bytes.Length * 8)
                {
                    throw KmipException.InvalidField($"Cryptographic Length {length} does not match the {bytes.Length * 8}-bit key material");
                }

                KeyAlgorithm product = KmipKeyMapping.Symmetric(algorithm, length)
                    ?? throw KmipException.InvalidField($"Unsupported key: {algorithm} with length {length}; this server takes AES-128, AES-256 and HMAC keys");
                if (KeyImportService.MaterialLengthError(product, bytes.Length) is { } error)
                {
                    throw KmipException.InvalidField(error);
                }

                using var material = new KeyMaterial(bytes);
                KmsKey key = await AddKeyAsync(caller, entry, product, material, null, template, ct);
                context.IdPlaceholder = key.Id.ToString();
                return TtlvItem.Structure(KmipTag.ResponsePayload, TtlvItem.Text(KmipTag.UniqueIdentifier, key.Id.ToString()));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        });
    }

    /// <summary>
    /// Adds a key of the client's project with its KMIP state, and the success record, in one transaction.
    /// Keys made over KMIP are exportable (database TDE and other local-encryption clients need their key) and
    /// Pre-Active, so disabled, until activated, unless the template sets an Activation Date that has come.
    /// </summary>
    private async Task<KmsKey> AddKeyAsync(
        KmipCaller caller, AuditEntry entry, KeyAlgorithm algorithm, KeyMaterial material, byte[]? publicKey, KmipTemplate template, CancellationToken ct)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        Project project = await ProjectAsync(db, caller, ct);
        bool active = template.ActivationDate is { } at && at.UtcDateTime <= now;
        KmsKey key = NewKey.Add(db, envelope, project, "kmip", $"Created over KMIP by {caller.Name}", algorithm, isExportable: true, material.Span, publicKey, now);
        key.Name = await KeyNameAsync(db, project.Id, template.Name, key.Id, ct);
        key.IsDisabled = !active;
        string kmipName = string.IsNullOrWhiteSpace(template.Name) ? key.Name : template.Name;
        db.KmipKeyStates.Add(new KmipKeyState
        {
            KeyId = key.Id,
            Name = kmipName.Length > 256 ? kmipName[..256] : kmipName,
            State = active ? KmipState.Active : KmipState.PreActive,
            UsageMask = template.UsageMask ?? (uint)KmipKeyMapping.DefaultUsageMask(algorithm, isPublic: false),
            ActivationDate = active ? template.ActivationDate!.Value.UtcDateTime : null,
            CreatedByClientId = caller.ClientId,
        });
        entry.Target(project.Id, key.Id);
        entry.KeyAlgorithm = algorithm.ToWire();
        entry.With("keyName", key.Name).With("algorithm", algorithm.ToWire());
        await audit.SaveAsync(entry, db, ct);
        return key;
    }

    private async Task<TtlvItem> ActivateAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        AuditEntry entry = Entry(caller, AuditEventTypes.UpdateKey, KmipOperation.Activate);
        return await audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (KmsKey key, KmipKeyState? state) = await StoredAsync(db, caller, ParseUid(uid), uid, tracked: true, ct);
            entry.Target(key.ProjectId, key.Id);
            caller.Demand(KmipPermissions.Activate);
            if (state is null || state.State != KmipState.PreActive)
            {
                throw new KmipException(KmipResultReason.PermissionDenied, $"Object '{uid}' is not Pre-Active; only a Pre-Active object can be activated");
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            state.State = KmipState.Active;
            state.ActivationDate = now;
            key.IsDisabled = false;
            key.UpdatedAt = now;
            entry.With("keyName", key.Name).With("changedFields", "isDisabled");
            await audit.SaveAsync(entry, db, ct);
            return TtlvItem.Structure(KmipTag.ResponsePayload, TtlvItem.Text(KmipTag.UniqueIdentifier, uid));
        });
    }

    private async Task<TtlvItem> RevokeAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        TtlvItem reasonItem = payload.Require(KmipTag.RevocationReason);
        var code = (KmipRevocationReasonCode)reasonItem.Require(KmipTag.RevocationReasonCode).AsEnumeration();
        string? message = reasonItem.Find(KmipTag.RevocationMessage)?.AsText();
        DateTimeOffset? occurred = payload.Find(KmipTag.CompromiseOccurrenceDate)?.AsDateTime();
        AuditEntry entry = Entry(caller, AuditEventTypes.UpdateKey, KmipOperation.Revoke);
        return await audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (KmsKey key, KmipKeyState? state) = await StoredAsync(db, caller, ParseUid(uid), uid, tracked: true, ct);
            entry.Target(key.ProjectId, key.Id);
            caller.Demand(KmipPermissions.Revoke);
            KmipState current = StateOf(key, state);
            if (current is KmipState.Compromised)
            {
                throw new KmipException(KmipResultReason.PermissionDenied, $"Object '{uid}' is already Compromised");
            }

            if (state is null)
            {
                db.KmipKeyStates.Add(state = new KmipKeyState
                {
                    KeyId = key.Id,
                    Name = key.Name,
                    UsageMask = (uint)KmipKeyMapping.DefaultUsageMask(key.Algorithm, isPublic: false),
                });
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            bool compromised = code is KmipRevocationReasonCode.KeyCompromise or KmipRevocationReasonCode.CaCompromise;
            if (compromised)
            {
                state.State = KmipState.Compromised;
                state.CompromiseDate = now;
                state.DeactivationDate ??= occurred?.UtcDateTime ?? now;
            }
            else if (current is KmipState.Deactivated)
            {
                throw new KmipException(KmipResultReason.PermissionDenied, $"Object '{uid}' is already Deactivated");
            }
            else
            {
                state.State = KmipState.Deactivated;
                state.DeactivationDate = now;
            }

            state.RevocationReason = (uint)code;
            state.RevocationMessage = message is { Length: > 256 } ? message[..256] : message;
            key.IsDisabled = true;
            key.UpdatedAt = now;
            entry.With("keyName", key.Name).With("changedFields", "isDisabled").With("revocationReason", code.ToString());
            await audit.SaveAsync(entry, db, ct);
            return TtlvItem.Structure(KmipTag.ResponsePayload, TtlvItem.Text(KmipTag.UniqueIdentifier, uid));
        });
    }

    /// <summary>Deletes the key and every version, as the REST API does: only when it is not Active (revoke first).</summary>
    private async Task<TtlvItem> DestroyAsync(KmipRequestContext context, TtlvItem payload, CancellationToken ct)
    {
        KmipCaller caller = context.RequireCaller();
        string uid = Uid(context, payload);
        AuditEntry entry = Entry(caller, AuditEventTypes.DeleteKey, KmipOperation.Destroy);
        return await audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (KmsKey key, KmipKeyState? state) = await StoredAsync(db, caller, ParseUid(uid), uid, tracked: true, ct);
            entry.Target(key.ProjectId, key.Id);
            caller.Demand(KmipPermissions.Destroy);
            if (StateOf(key, state) == KmipState.Active)
            {
                throw new KmipException(KmipResultReason.PermissionDenied, $"Object '{uid}' is Active; revoke it before destroying it");
            }

            entry.With("keyName", key.Name);
            db.Keys.Remove(key);   // versions and KMIP state go with it: the foreign keys cascade
            await audit.SaveAsync(entry, db, ct);
            return TtlvItem.Structure(KmipTag.ResponsePayload, TtlvItem.Text(KmipTag.UniqueIdentifier, uid));
        });
    }
}
