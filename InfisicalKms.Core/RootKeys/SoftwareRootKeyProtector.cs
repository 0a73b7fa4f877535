using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Core.RootKeys;

/// <summary>AES-256-GCM wrap of the root key under a 32-byte environment key (spec §11.1, SOFTWARE).</summary>
/// <remarks>The associated data binds the wrap to its purpose, so no other blob of the KMS can stand in for it.</remarks>
public sealed class SoftwareRootKeyProtector : IRootKeyProtector, IDisposable
{
    private static ReadOnlySpan<byte> Aad => "infisical-kms/root-key"u8;

    private readonly byte[] _wrappingKey;

    public SoftwareRootKeyProtector(ReadOnlySpan<byte> wrappingKey, string source)
    {
        if (wrappingKey.Length != 32)
        {
            throw new ArgumentException("The wrapping key is 32 bytes.", nameof(wrappingKey));
        }

        _wrappingKey = wrappingKey.ToArray();
        Source = source;
    }

    /// <summary>The <see cref="RootKeyRecord.Mechanism"/> of a SOFTWARE wrap.</summary>
    public const string MechanismName = "AES-256-GCM";

    public RootKeyStrategy Strategy => RootKeyStrategy.Software;

    public string Source { get; }

    public string Mechanism => MechanismName;

    public RootKeyStatus Status => new(Strategy, Source) { Mechanism = MechanismName };

    public byte[] GenerateRootKey() => RandomNumberGenerator.GetBytes(RootKey.Size);

    public byte[] Wrap(ReadOnlySpan<byte> rootKey) => AesGcmCipher.Encrypt(_wrappingKey, rootKey, Aad);

    public byte[]? TryUnwrap(ReadOnlySpan<byte> wrapped) => AesGcmCipher.Decrypt(_wrappingKey, wrapped, Aad);

    public void Dispose() => CryptographicOperations.ZeroMemory(_wrappingKey);

    public override string ToString() => $"SoftwareRootKeyProtector({Source})";
}
