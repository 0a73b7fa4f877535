using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Core.Keys;

/// <summary>A key ID as the caller wrote it: messages echo the text as sent (spec §2.6).</summary>
public readonly record struct KeyRef(Guid Id, string AsSent)
{
    public static implicit operator KeyRef(Guid id) => new(id, id.ToString());

    public override string ToString() => AsSent;
}

/// <summary>Create-key input after field validation; usage and algorithm are already resolved (§5.3).</summary>
public sealed record CreateKeyRequest(string ProjectId, string Name, string? Description, KeyUsage Usage, KeyAlgorithm Algorithm, bool IsExportable);

/// <summary>Update-key input: null means "not sent, leave as is".</summary>
public sealed record UpdateKeyRequest(string? Name, string? Description, bool? IsDisabled);

/// <summary>List-keys input after validation (spec §7.4).</summary>
public sealed record ListKeysRequest(string ProjectId, int Offset, int Limit, bool Descending, string? Search);

public sealed record SignRequest(SigningAlgorithm Algorithm, byte[] Data, bool IsDigest);

public sealed record VerifyRequest(SigningAlgorithm Algorithm, byte[] Data, byte[] Signature, bool IsDigest);

/// <summary>A key together with nothing secret: what every key route returns.</summary>
public sealed record KeyPage(IReadOnlyList<KmsKey> Keys, int TotalCount);
