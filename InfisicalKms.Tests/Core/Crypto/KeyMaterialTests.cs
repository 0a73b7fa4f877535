using System.Globalization;
using InfisicalKms.Core.Crypto;

namespace InfisicalKms.Tests.Core.Crypto;

/// <summary>Key hygiene: bytes are never printed, zeroed on dispose, and unreachable afterwards.</summary>
public sealed class KeyMaterialTests
{
    [Fact]
    public void ToString_AnyBytes_NeverContainsTheBytes()
    {
        byte[] bytes = [.. Enumerable.Range(0xA0, 32).Select(i => (byte)i)];
        using var material = new KeyMaterial(bytes);
        using var other = new KeyMaterial(new byte[32]);

        string text = material.ToString();

        Assert.DoesNotContain(Convert.ToHexString(bytes), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(bytes[..4]), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(bytes), text, StringComparison.Ordinal);
        Assert.DoesNotContain(bytes[0].ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        Assert.Equal(other.ToString(), text);   // depends on the length only
    }

    [Fact]
    public void Dispose_TakeOwnership_ZeroesCallerArray()
    {
        byte[] bytes = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        var material = KeyMaterial.TakeOwnership(bytes);
        Assert.Equal(bytes, material.Span.ToArray());

        material.Dispose();

        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Dispose_CopyingConstructor_LeavesCallerBytesAlone()
    {
        byte[] bytes = [1, 2, 3, 4];
        var material = new KeyMaterial(bytes);
        bytes[0] = 9;

        Assert.Equal(new byte[] { 1, 2, 3, 4 }, material.Span.ToArray());
        material.Dispose();
        Assert.Equal(new byte[] { 9, 2, 3, 4 }, bytes);
    }

    [Fact]
    public void Span_AfterDispose_ThrowsObjectDisposedException()
    {
        var material = new KeyMaterial([1, 2, 3]);

        material.Dispose();

        Assert.Throws<ObjectDisposedException>(() => material.Span.Length);
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrow()
    {
        var material = KeyMaterial.TakeOwnership([1, 2, 3]);

        material.Dispose();
        material.Dispose();

        Assert.Equal(3, material.Length);
    }
}
