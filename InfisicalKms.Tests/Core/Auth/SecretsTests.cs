using System.Text.RegularExpressions;
using InfisicalKms.Core.Auth;

namespace InfisicalKms.Tests.Core.Auth;

public sealed class SecretsTests
{
    [Fact]
    public void NewAccessToken_Always_HasAtLeast256BitsInTheSpecAlphabet()
    {
        string token = Secrets.NewAccessToken();
        Assert.Matches(new Regex("^[A-Za-z0-9_.-]{43,}$"), token);
        Assert.NotEqual(token, Secrets.NewAccessToken());
    }

    [Fact]
    public void NewClientSecret_Always_Is64LowercaseHex()
    {
        Assert.Matches(new Regex("^[0-9a-f]{64}$"), Secrets.NewClientSecret());
    }

    [Fact]
    public void Hash_SameSecret_EqualsInConstantTimeComparison()
    {
        string secret = Secrets.NewClientSecret();
        Assert.True(Secrets.HashEquals(Secrets.Hash(secret), Secrets.Hash(secret)));
        Assert.False(Secrets.HashEquals(Secrets.Hash(secret), Secrets.Hash(secret + "x")));
        Assert.Equal(32, Secrets.Hash(secret).Length);
    }
}
