using InfisicalKms.Core.Caching;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Kmip.Server;

/// <summary>
/// Answers one KMIP request message (TTLV, protocol 1.0 to 1.4) for one client: reads the client's row again,
/// runs the batch items in order and encodes the response. Transport-free: the TLS listener hands it bytes.
/// </summary>
/// <remarks>
/// A batch item's failure is a failed item with a KMIP result reason, never an exception out of here. A
/// message that cannot be parsed gets a one-item response with reason Invalid Message.
/// </remarks>
public sealed class KmipServer(
    IDbContextFactory<KmsDbContext> dbFactory, KmipOperations operations, CacheGenerations generations, KmsCacheSettings cacheSettings,
    CacheStatistics cacheStatistics, TimeProvider clock, ILogger<KmipServer> logger) : IDisposable
{
    /// <summary>
    /// Clients that are not revoked, by ID, read under the Tokens generation that every change to a KMIP client
    /// raises (on this instance and, through the change stamps, on the others): a revoke or a permission change
    /// takes effect on the very next message, as for access tokens, without a database read per message.
    /// </summary>
    private readonly GenerationalCache<Guid, KmipClient> _clients = new(generations, CacheScopes.Tokens, cacheSettings.Tokens, cacheStatistics.For("kmip-clients"));

    public static readonly (int Major, int Minor)[] SupportedVersions = [(1, 4), (1, 3), (1, 2), (1, 1), (1, 0)];

    public const string VendorIdentification = "InfisicalKms";

    /// <summary>The answer to one request, and whether the connection should close after it (a revoked client).</summary>
    public sealed record Reply(byte[] Message, bool Close);

    public async Task<Reply> HandleAsync(Guid clientId, Audit.RequestOrigin origin, byte[] message, TtlvLimits limits, CancellationToken ct)
    {
        TtlvItem request;
        try
        {
            request = TtlvCodec.Decode(message, limits);
            if (request.Tag != KmipTag.RequestMessage)
            {
                throw new TtlvFormatException($"Expected a Request Message, got {request.Tag}");
            }
        }
        catch (TtlvFormatException error)
        {
            return new Reply(InvalidMessage((1, 0), error.Message), Close: false);
        }

        (int Major, int Minor) version = (1, 0);
        TtlvItem header;
        try
        {
            header = request.Require(KmipTag.RequestHeader);
            TtlvItem protocol = header.Require(KmipTag.ProtocolVersion);
            version = (protocol.Require(KmipTag.ProtocolVersionMajor).AsInteger(), protocol.Require(KmipTag.ProtocolVersionMinor).AsInteger());
        }
        catch (TtlvFormatException error)
        {
            return new Reply(InvalidMessage(version, error.Message), Close: false);
        }

        if (!SupportedVersions.Contains(version))
        {
            return new Reply(InvalidMessage((1, 0), $"Protocol version {version.Major}.{version.Minor} is not supported; this server speaks KMIP 1.0 to 1.4"), Close: false);
        }

        KmipCaller? caller = await CallerAsync(clientId, origin, ct);
        var context = new KmipRequestContext(caller, version);
        bool continueOnError = header.Find(KmipTag.BatchErrorContinuationOption) is { } option
            && option.Type == TtlvType.Enumeration && option.AsEnumeration() == (uint)KmipBatchErrorContinuationOption.Continue;
        var items = new List<TtlvItem>();
        foreach (TtlvItem item in request.FindAll(KmipTag.BatchItem))
        {
            TtlvItem response = await HandleItemAsync(context, item, ct);
            items.Add(response);
            if (!continueOnError && response.Find(KmipTag.ResultStatus)?.AsEnumeration() != (uint)KmipResultStatus.Success)
            {
                break;   // Stop (the default) and Undo: later items are not processed
            }
        }

        if (items.Count == 0)
        {
            return new Reply(InvalidMessage(version, "The request has no Batch Item"), Close: false);
        }

        return new Reply(TtlvCodec.Encode(ResponseMessage(version, items)), Close: caller is null);
    }

    /// <summary>The response to a message whose header could not be read (an oversized or garbled one).</summary>
    public byte[] InvalidMessage((int Major, int Minor) version, string message, KmipResultReason reason = KmipResultReason.InvalidMessage) =>
        TtlvCodec.Encode(ResponseMessage(version, [Failure(null, null, reason, message)]));

    private async Task<TtlvItem> HandleItemAsync(KmipRequestContext context, TtlvItem item, CancellationToken ct)
    {
        KmipOperation? operation = null;
        TtlvItem? batchId = item.Find(KmipTag.UniqueBatchItemId);
        try
        {
            operation = (KmipOperation)item.Require(KmipTag.Operation).AsEnumeration();
            TtlvItem payload = item.Find(KmipTag.RequestPayload) ?? TtlvItem.Structure(KmipTag.RequestPayload);
            if (context.Caller is null && operation is not (KmipOperation.DiscoverVersions or KmipOperation.Query))
            {
                throw new KmipException(KmipResultReason.PermissionDenied, "This KMIP client has been revoked or deleted");
            }

            TtlvItem result = await operations.RunAsync(context, operation.Value, payload, ct);
            return TtlvItem.Structure(KmipTag.BatchItem,
                TtlvItem.Enumeration(KmipTag.Operation, (uint)operation.Value),
                batchId,
                TtlvItem.Enumeration(KmipTag.ResultStatus, (uint)KmipResultStatus.Success),
                result);
        }
        catch (Exception error) when (error is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            (KmipResultReason reason, string message) = Classify(error);
            if (reason == KmipResultReason.GeneralFailure)
            {
                // The type only: messages of unexpected errors could quote request data.
                logger.LogError("KMIP {Operation} failed unexpectedly: {ErrorType}", operation, error.GetType().Name);
            }

            return Failure(operation, batchId, reason, message);
        }
    }

    private static (KmipResultReason Reason, string Message) Classify(Exception error) => error switch
    {
        KmipException kmip => (kmip.Reason, kmip.Message),
        TtlvMissingException missing => (KmipResultReason.MissingData, missing.Message),
        TtlvFormatException format => (KmipResultReason.InvalidField, format.Message),
        KmsNotFoundException notFound => (KmipResultReason.ItemNotFound, notFound.Message),
        KmsPermissionDeniedException denied => (KmipResultReason.PermissionDenied, denied.Message),
        KeyDisabledException => (KmipResultReason.PermissionDenied, "Key is disabled or not Active"),
        DecryptionFailedException => (KmipResultReason.CryptographicFailure, "Decryption failed: the ciphertext, IV, tag or additional data does not match the key"),
        KmsBadRequestException bad => (KmipResultReason.InvalidField, bad.Message),
        KmsValidationException invalid => (KmipResultReason.InvalidField, invalid.Message),
        Audit.AuditUnavailableException => (KmipResultReason.GeneralFailure, "The audit log is unavailable; the operation was refused"),
        _ => (KmipResultReason.GeneralFailure, "The server could not complete the operation"),
    };

    private TtlvItem ResponseMessage((int Major, int Minor) version, IReadOnlyList<TtlvItem> items) =>
        TtlvItem.Structure(KmipTag.ResponseMessage, [
            TtlvItem.Structure(KmipTag.ResponseHeader,
                ProtocolVersion(version),
                TtlvItem.DateTime(KmipTag.TimeStamp, clock.GetUtcNow()),
                TtlvItem.Integer(KmipTag.BatchCount, items.Count)),
            .. items]);

    public static TtlvItem ProtocolVersion((int Major, int Minor) version) =>
        TtlvItem.Structure(KmipTag.ProtocolVersion,
            TtlvItem.Integer(KmipTag.ProtocolVersionMajor, version.Major),
            TtlvItem.Integer(KmipTag.ProtocolVersionMinor, version.Minor));

    private static TtlvItem Failure(KmipOperation? operation, TtlvItem? batchId, KmipResultReason reason, string message) =>
        TtlvItem.Structure(KmipTag.BatchItem,
            operation is { } op ? TtlvItem.Enumeration(KmipTag.Operation, (uint)op) : null,
            batchId,
            TtlvItem.Enumeration(KmipTag.ResultStatus, (uint)KmipResultStatus.OperationFailed),
            TtlvItem.Enumeration(KmipTag.ResultReason, (uint)reason),
            TtlvItem.Text(KmipTag.ResultMessage, message));

    public void Dispose() => _clients.Dispose();

    /// <summary>The client as its row reads now; null when it was revoked or deleted since the connection opened.</summary>
    private async Task<KmipCaller?> CallerAsync(Guid clientId, Audit.RequestOrigin origin, CancellationToken ct)
    {
        if (!_clients.TryGet(clientId, out KmipClient? client))
        {
            long generation = _clients.Generation;
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            client = await db.KmipClients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == clientId, ct);
            if (client is null || client.RevokedAt is not null)
            {
                return null;   // never cached
            }

            _clients.Set(clientId, client, generation);
        }

        return new KmipCaller(client.Id, client.Name, client.ProjectId, client.OrganizationId, client.Permissions, origin);
    }
}

/// <summary>What the batch items of one message share: the caller, the protocol version, and the ID placeholder.</summary>
public sealed class KmipRequestContext(KmipCaller? caller, (int Major, int Minor) version)
{
    public KmipCaller? Caller { get; } = caller;

    public (int Major, int Minor) Version { get; } = version;

    public bool AtLeast(int major, int minor) => Version.Major > major || (Version.Major == major && Version.Minor >= minor);

    /// <summary>The unique identifier the last item produced, used by a later item that names none (KMIP ID Placeholder).</summary>
    public string? IdPlaceholder { get; set; }

    public KmipCaller RequireCaller() => Caller ?? throw new KmipException(KmipResultReason.PermissionDenied, "This KMIP client has been revoked or deleted");
}
