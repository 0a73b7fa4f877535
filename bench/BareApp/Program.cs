using System.Security.Cryptography;
using System.Text.Json.Serialization;

// A bare ASP.NET Core app doing the product's encrypt work and nothing else: slim builder, no logging,
// one route that parses {"plaintext": "<base64>"} and AES-256-GCM-encrypts it, and a trivial status route.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJson.Default));
WebApplication app = builder.Build();
byte[] key = RandomNumberGenerator.GetBytes(32);

app.MapGet("/api/status", () => new Status("ok"));
app.MapPost("/encrypt", (EncryptBody body) =>
{
    byte[] plaintext = Convert.FromBase64String(body.Plaintext);
    byte[] output = new byte[12 + plaintext.Length + 16];
    RandomNumberGenerator.Fill(output.AsSpan(0, 12));
    using var aes = new AesGcm(key, 16);
    aes.Encrypt(output.AsSpan(0, 12), plaintext, output.AsSpan(12, plaintext.Length), output.AsSpan(12 + plaintext.Length));
    return new Ciphertext(Convert.ToBase64String(output));
});
app.Run();

internal sealed record EncryptBody(string Plaintext);

internal sealed record Ciphertext(string ciphertext);

internal sealed record Status(string status);

[JsonSerializable(typeof(EncryptBody))]
[JsonSerializable(typeof(Ciphertext))]
[JsonSerializable(typeof(Status))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class BareJson : JsonSerializerContext;
