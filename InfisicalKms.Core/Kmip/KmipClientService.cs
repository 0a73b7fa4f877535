using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Access;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Core.Kmip;

/// <summary>
/// The KMIP clients of a project and their certificates (subject <c>kmip</c>: read-clients, create-clients,
/// update-clients, which also revokes, delete-clients, generate-client-certificates).
/// </summary>
/// <remarks>
/// A client the caller cannot see is "not found", like a key. Changes are recorded in the project's audit chain in the
/// same transaction. A certificate's private key exists only in the answer to <see cref="IssueCertificateAsync"/>:
/// neither the database nor the audit record ever holds it.
/// </remarks>
public sealed class KmipClientService(
    IDbContextFactory<KmsDbContext> dbFactory, KmipCertificateAuthority authority, AuditLog audit, IOptions<KmipSettings> settings, TimeProvider clock)
{
    public const string NotEnabledMessage = "KMIP is not enabled on this server: set Kms:Kmip:Enabled to true";

    public Task<KmipClient> CreateAsync(Actor actor, CreateKmipClientRequest request, CancellationToken ct)
    {
        KmipClientRules.Validate(request.Name, request.Description, request.Permissions);
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.CreateKmipClient)
            .With("clientName", request.Name).With("permissions", string.Join(',', request.Permissions.ToWire()));
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, request.ProjectId, entry, ct, Permission.CreateKmipClients);
            if (await db.KmipClients.AnyAsync(c => c.ProjectId == project.Id && c.Name == request.Name, ct))
            {
                throw DuplicateName(request.Name, request.ProjectId);
            }

            DateTime now = clock.GetUtcNow().UtcDateTime;
            var client = new KmipClient
            {
                Id = Guid.CreateVersion7(),
                ProjectId = project.Id,
                OrganizationId = project.OrganizationId,
                Name = request.Name,
                Description = request.Description,
                Permissions = request.Permissions,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.KmipClients.Add(client);
            entry.With("clientId", client.Id.ToString());
            await SaveUniqueAsync(db, entry, client, request.ProjectId, ct);
            return client;
        });
    }

    /// <summary>A page of the project's clients by name; <see cref="ListKmipClientsRequest.Search"/> matches part of the name.</summary>
    public async Task<KmipClientPage> ListAsync(Actor actor, ListKmipClientsRequest request, CancellationToken ct)
    {
        if (request.Offset < 0)
        {
            throw new KmsValidationException("offset", "Number must be greater than or equal to 0");
        }

        if (request.Limit is < 1 or > 100)
        {
            throw new KmsValidationException("limit", request.Limit < 1 ? "Number must be greater than or equal to 1" : "Number must be less than or equal to 100");
        }

        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        (Project project, _) = await ProjectAccess.RequireProjectAsync(db, actor, request.ProjectId, ct, Permission.ReadKmipClients);
        IQueryable<KmipClient> query = db.KmipClients.AsNoTracking().Where(c => c.ProjectId == project.Id);
        if (!string.IsNullOrEmpty(request.Search))
        {
            string search = request.Search.ToLowerInvariant();   // names are lower-case slugs; Contains is literal on every provider
            query = query.Where(c => c.Name.Contains(search));
        }

        int total = await query.CountAsync(ct);
        List<KmipClient> clients = await query.OrderBy(c => c.Name).Skip(request.Offset).Take(request.Limit).ToListAsync(ct);
        return new KmipClientPage(clients, total);
    }

    public async Task<KmipClient> GetAsync(Actor actor, string clientId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await FindAsync(db, actor, clientId, entry: null, Permission.ReadKmipClients, tracked: false, ct);
    }

    public Task<KmipClient> UpdateAsync(Actor actor, string clientId, UpdateKmipClientRequest request, CancellationToken ct)
    {
        KmipClientRules.Validate(request.Name, request.Description, request.Permissions);
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.UpdateKmipClient);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmipClient client = await FindAsync(db, actor, clientId, entry, Permission.UpdateKmipClients, tracked: true, ct);
            if (request.Name is { } name && name != client.Name)
            {
                if (await db.KmipClients.AnyAsync(c => c.ProjectId == client.ProjectId && c.Name == name && c.Id != client.Id, ct))
                {
                    throw DuplicateName(name, client.ProjectId.ToString());
                }

                client.Name = name;
            }

            client.Description = request.Description ?? client.Description;
            client.Permissions = request.Permissions ?? client.Permissions;
            List<string> changed = db.Entry(client).Properties.Where(p => p.IsModified).Select(p => WireField(p.Metadata.Name)).ToList();
            entry.With("clientName", client.Name).With("changedFields", string.Join(',', changed))
                .With("permissions", string.Join(',', client.Permissions.ToWire()));
            if (changed.Count > 0)
            {
                client.UpdatedAt = clock.GetUtcNow().UtcDateTime;
                await SaveUniqueAsync(db, entry, client, client.ProjectId.ToString(), ct);
            }

            return client;
        });
    }

    /// <summary>Revokes the client: from now on every certificate of it is refused, and it gets no new ones.</summary>
    public Task<KmipClient> RevokeAsync(Actor actor, string clientId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.RevokeKmipClient);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmipClient client = await FindAsync(db, actor, clientId, entry, Permission.UpdateKmipClients, tracked: true, ct);
            if (client.RevokedAt is not null)
            {
                throw new KmsBadRequestException($"KMIP client with ID '{clientId}' is already revoked");
            }

            client.RevokedAt = client.UpdatedAt = clock.GetUtcNow().UtcDateTime;
            await audit.SaveAsync(entry, db, ct);
            return client;
        });
    }

    /// <summary>Deletes the client with its certificates; keys it created stay, without their creator.</summary>
    public Task<KmipClient> DeleteAsync(Actor actor, string clientId, CancellationToken ct)
    {
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.DeleteKmipClient);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmipClient client = await FindAsync(db, actor, clientId, entry, Permission.DeleteKmipClients, tracked: true, ct);
            db.KmipClients.Remove(client);
            await audit.SaveAsync(entry, db, ct);
            return client;
        });
    }

    /// <summary>
    /// Issues a client certificate from the instance's CA (made on first use), valid from five minutes ago for the TTL.
    /// With a key algorithm the server makes the key pair and returns its private key this once; with a CSR only the
    /// CSR's public key is certified.
    /// </summary>
    public Task<KmipIssuedCertificate> IssueCertificateAsync(Actor actor, string clientId, IssueKmipCertificateRequest request, CancellationToken ct)
    {
        KmipClientRules.Validate(request);
        AuditEntry entry = audit.Entry(actor, AuditEventTypes.IssueKmipClientCertificate);
        return audit.RunAsync(entry, async () =>
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            KmipClient client = await FindAsync(db, actor, clientId, entry, Permission.GenerateKmipClientCertificates, tracked: false, ct);
            entry.With("clientName", client.Name);
            if (!settings.Value.IsEnabled)
            {
                throw new KmsBadRequestException(NotEnabledMessage);
            }

            if (client.RevokedAt is not null)
            {
                throw new KmsBadRequestException($"KMIP client with ID '{clientId}' is revoked: it cannot be issued certificates");
            }

            PublicKey? csrKey = request.CsrPem is null ? null : KmipCertificateProfiles.ReadCsrPublicKey(request.CsrPem);
            DateTimeOffset now = clock.GetUtcNow();
            (KmipIssuedCertificate issued, KmipCertificate record) = await authority.IssueClientAsync(
                client, request.KeyAlgorithm ?? KmipCertificateKeyAlgorithms.Default, csrKey,
                now.AddMinutes(-5), now + (request.Ttl ?? settings.Value.CertificateLifetime), ct);
            db.KmipCertificates.Add(record);
            entry.With("serialNumber", issued.SerialNumber).With("notAfter", issued.NotAfter.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            await audit.SaveAsync(entry, db, ct);
            return issued;
        });
    }

    /// <summary>The client's certificates, newest first (serial numbers and dates; no key material).</summary>
    public async Task<IReadOnlyList<KmipCertificate>> ListCertificatesAsync(Actor actor, string clientId, CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        KmipClient client = await FindAsync(db, actor, clientId, entry: null, Permission.ReadKmipClients, tracked: false, ct);
        List<KmipCertificate> certificates = await db.KmipCertificates.AsNoTracking().Where(c => c.ClientId == client.Id).ToListAsync(ct);
        return certificates.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).ToList();
    }

    public static KmsNotFoundException NotFound(string clientId) => new($"KMIP client with ID '{clientId}' not found");

    /// <summary>
    /// The client, when the caller can see its project (else "not found", whatever the reason); then, once the
    /// operation's record names it, the permission check.
    /// </summary>
    private static async Task<KmipClient> FindAsync(
        KmsDbContext db, Actor actor, string clientId, AuditEntry? entry, Permission permission, bool tracked, CancellationToken ct)
    {
        IQueryable<KmipClient> clients = tracked ? db.KmipClients : db.KmipClients.AsNoTracking();
        KmipClient? client = Uuids.TryParse(clientId, out Guid id) ? await clients.FirstOrDefaultAsync(c => c.Id == id, ct) : null;
        ProjectRole? role = client is null ? null : await ProjectAccess.EffectiveRoleAsync(db, actor, client.ProjectId, client.OrganizationId, ct);
        if (client is null || role is null)
        {
            throw NotFound(clientId);
        }

        entry?.Target(client.ProjectId).With("clientId", client.Id.ToString()).With("clientName", client.Name);
        ProjectAccess.Demand(role.Value, permission);
        return client;
    }

    private static string WireField(string property) => property switch
    {
        nameof(KmipClient.Name) => "name",
        nameof(KmipClient.Description) => "description",
        nameof(KmipClient.Permissions) => "permissions",
        _ => property,
    };

    private static KmsBadRequestException DuplicateName(string name, string projectId) =>
        new($"A KMIP client with the name \"{name}\" already exists for the project with ID \"{projectId}\"");

    private Task SaveUniqueAsync(KmsDbContext db, AuditEntry entry, KmipClient client, string projectId, CancellationToken ct) =>
        audit.SaveUniqueAsync(entry, db,
            c => db.KmipClients.AsNoTracking().AnyAsync(k => k.ProjectId == client.ProjectId && k.Name == client.Name && k.Id != client.Id, c),
            () => DuplicateName(client.Name, projectId), ct);
}
