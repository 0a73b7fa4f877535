using System.Security.Cryptography;
using InfisicalKms.Core;
using InfisicalKms.Core.Crypto;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.RootKeys;
using Microsoft.Extensions.DependencyInjection;

namespace InfisicalKms.Tests.Core.RootKeys;

/// <summary>
/// Base of the start-up tests: one temporary instance per test, any number of simulated starts of it
/// (each a fresh service provider sharing the captured log), disposed and deleted afterwards.
/// </summary>
public abstract class RootKeyStartupFixture : IAsyncLifetime
{
    private static readonly Guid ProbeKeyId = Guid.Parse("5f0c2a57-3d1e-4b8a-9c6f-0e1d2c3b4a59");
    private static readonly byte[] ProbeMaterial = [.. Enumerable.Range(0x40, 32).Select(i => (byte)i)];

    private readonly List<ServiceProvider> _providers = [];
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));   // guards against hangs only; generous for loaded CI machines

    protected KmsCoreInstance Instance { get; } = new();

    protected CapturingLoggerProvider Logs { get; } = new();

    protected CancellationToken Ct => _timeout.Token;

    protected static string NewRootEncryptionKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    protected static string NewEncryptionKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();

    protected static Dictionary<string, string?> Env(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => (string?)v.Value);

    /// <summary>A provider for one start, not yet initialised.</summary>
    protected ServiceProvider NewProvider(string environmentName, Dictionary<string, string?>? settings = null)
    {
        ServiceProvider provider = Instance.CreateProvider(environmentName, Logs, settings);
        _providers.Add(provider);
        return provider;
    }

    /// <summary>One successful start: migrations and the root key.</summary>
    protected async Task<ServiceProvider> StartAsync(string environmentName, Dictionary<string, string?>? settings = null)
    {
        ServiceProvider provider = NewProvider(environmentName, settings);
        await provider.InitializeKmsAsync(Ct);
        return provider;
    }

    /// <summary>One refused start; the refused provider must not have a root key loaded.</summary>
    protected async Task<string> RefusedAsync(string environmentName, Dictionary<string, string?>? settings = null)
    {
        ServiceProvider provider = NewProvider(environmentName, settings);
        var refusal = await Assert.ThrowsAsync<RootKeyConfigurationException>(() => provider.InitializeKmsAsync(Ct));
        Assert.False(provider.GetRequiredService<RootKey>().IsLoaded);
        return refusal.Message;
    }

    /// <summary>Wraps fixed material under the provider's root key: a stand-in for stored key material.</summary>
    protected static byte[] WrapProbe(IServiceProvider provider) =>
        provider.GetRequiredService<EnvelopeEncryptor>().Wrap(ProbeKeyId, 1, ProbeMaterial);

    /// <summary>Proves the provider holds the root key that produced <paramref name="wrapped"/>.</summary>
    protected static void AssertUnwrapsProbe(IServiceProvider provider, byte[] wrapped)
    {
        using KeyMaterial material = provider.GetRequiredService<EnvelopeEncryptor>().Unwrap(ProbeKeyId, 1, wrapped);
        Assert.Equal(ProbeMaterial, material.Span.ToArray());
    }

    /// <summary>No captured log message, at any level or category, contains any of <paramref name="secrets"/>.</summary>
    protected void AssertNotLogged(params string[] secrets)
    {
        Assert.NotEmpty(Logs.Entries);
        foreach (CapturedLog entry in Logs.Entries)
        {
            foreach (string secret in secrets)
            {
                Assert.False(entry.Message.Contains(secret, StringComparison.Ordinal),
                    $"A {entry.Level} message of {entry.Category} contains key material: {entry.Message}");
            }
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (ServiceProvider provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _timeout.Dispose();
        Instance.Dispose();
    }
}
