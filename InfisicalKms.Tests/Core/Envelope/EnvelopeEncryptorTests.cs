using System.Security.Cryptography;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.RootKeys;

namespace InfisicalKms.Tests.Core.Envelope;

/// <summary>Key material wrapped under the root key (spec §11.1): AES-256-GCM bound to the key ID and version.</summary>
public sealed class EnvelopeEncryptorTests : IDisposable
{
    private static readonly Guid KeyId = Guid.Parse("0b6f3c1e-8a2d-4e5f-9a7b-1c2d3e4f5a6b");

    private readonly RootKey _rootKey = LoadedRootKey();

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(2375)]   // an RSA-4096 PKCS#8 private key is about this size
    public void Unwrap_WhatWrapProduced_ReturnsTheMaterial(int size)
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] material = RandomNumberGenerator.GetBytes(size);

        byte[] wrapped = encryptor.Wrap(KeyId, 3, material);
        using KeyMaterial unwrapped = encryptor.Unwrap(KeyId, 3, wrapped);

        Assert.Equal(material, unwrapped.Span.ToArray());
        Assert.Equal(12 + size + 16, wrapped.Length);   // IV(12) ‖ ct ‖ tag(16)
    }

    [Fact]
    public void Wrap_SameMaterialTwice_UsesFreshIvs()
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] material = RandomNumberGenerator.GetBytes(32);

        byte[] first = encryptor.Wrap(KeyId, 1, material);
        byte[] second = encryptor.Wrap(KeyId, 1, material);

        Assert.NotEqual(first[..12], second[..12]);
        Assert.NotEqual(first, second);
        Assert.False(first.AsSpan().IndexOf(material) >= 0, "the wrap contains the material in clear");
    }

    [Theory]
    [InlineData("0b6f3c1e-8a2d-4e5f-9a7b-1c2d3e4f5a6c", 1)]   // another key, same version
    [InlineData("0b6f3c1e-8a2d-4e5f-9a7b-1c2d3e4f5a6b", 2)]   // same key, another version
    [InlineData("00000000-0000-0000-0000-000000000000", 1)]
    public void Unwrap_BlobMovedToAnotherKeyOrVersion_Throws(string otherKeyId, int otherVersion)
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] wrapped = encryptor.Wrap(KeyId, 1, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<InvalidOperationException>(() => encryptor.Unwrap(Guid.Parse(otherKeyId), otherVersion, wrapped));
    }

    [Fact]
    public void Unwrap_UnderAnotherRootKey_Throws()
    {
        byte[] wrapped = new EnvelopeEncryptor(_rootKey).Wrap(KeyId, 1, RandomNumberGenerator.GetBytes(32));
        using RootKey other = LoadedRootKey();

        Assert.Throws<InvalidOperationException>(() => new EnvelopeEncryptor(other).Unwrap(KeyId, 1, wrapped));
    }

    [Theory]
    [InlineData(0)]    // IV
    [InlineData(20)]   // ciphertext
    [InlineData(-1)]   // tag
    public void Unwrap_TamperedBlob_Throws(int index)
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] wrapped = encryptor.Wrap(KeyId, 1, RandomNumberGenerator.GetBytes(32));
        wrapped[index < 0 ? wrapped.Length + index : index] ^= 0x01;

        Assert.Throws<InvalidOperationException>(() => encryptor.Unwrap(KeyId, 1, wrapped));
    }

    [Fact]
    public void Unwrap_TruncatedBlob_Throws()
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] wrapped = encryptor.Wrap(KeyId, 1, RandomNumberGenerator.GetBytes(32));

        Assert.Throws<InvalidOperationException>(() => encryptor.Unwrap(KeyId, 1, wrapped[..^1]));
        Assert.Throws<InvalidOperationException>(() => encryptor.Unwrap(KeyId, 1, wrapped[..27]));
    }

    [Fact]
    public void Wrap_RootKeyNotLoaded_Throws()
    {
        using var empty = new RootKey();

        Assert.Throws<InvalidOperationException>(() => new EnvelopeEncryptor(empty).Wrap(KeyId, 1, new byte[32]));
    }

    [Fact]
    public void Dispose_UnwrappedMaterial_ZeroesTheBytes()
    {
        var encryptor = new EnvelopeEncryptor(_rootKey);
        byte[] material = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        KeyMaterial unwrapped = encryptor.Unwrap(KeyId, 1, encryptor.Wrap(KeyId, 1, material));
        ReadOnlySpan<byte> view = unwrapped.Span;   // the instance's own buffer, not a copy
        Assert.Equal(material, view.ToArray());

        unwrapped.Dispose();

        Assert.All(view.ToArray(), b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => unwrapped.Span.Length);
    }

    public void Dispose() => _rootKey.Dispose();

    private static RootKey LoadedRootKey()
    {
        var rootKey = new RootKey();
        rootKey.Install(RandomNumberGenerator.GetBytes(RootKey.Size), new RootKeyStatus(RootKeyStrategy.Software, "test"));
        return rootKey;
    }
}
