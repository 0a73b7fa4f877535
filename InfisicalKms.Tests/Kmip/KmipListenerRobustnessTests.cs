using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;
using static InfisicalKms.Tests.Kmip.KmipWireClient;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// What no KMIP client sends on purpose: truncated messages, wrong lengths, deep nesting, a 10 MB declared length,
/// garbage. Each gets a KMIP error response or a closed connection, and the listener goes on serving, on the other
/// connections and on new ones.
/// </summary>
[Trait("Category", "Kmip")]
public sealed class KmipListenerRobustnessTests(KmipServerFixture server) : IClassFixture<KmipServerFixture>
{
    private static readonly TtlvItem DiscoverVersions = Request(KmipOperation.DiscoverVersions);

    public static TheoryData<string> FramedGarbage => ["deep nesting", "child longer than its parent", "wrong type byte", "non-zero padding", "not a request message", "unsupported protocol 2.0", "no batch item"];

    [Fact]
    public async Task MalformedBurst_ListenerKeepsServingEveryConnection()
    {
        KmipBundle bundle = await NewClientAsync();
        await using KmipWireClient bystander = await ConnectAsync(server.Port, bundle);
        Assert.Equal(KmipResultStatus.Success, Status(await bystander.RequestAsync(DiscoverVersions)));

        // Each malformed message on its own connection, all at once, several rounds.
        var burst = new List<Task>();
        for (int round = 0; round < 5; round++)
        {
            foreach ((byte[] bad, bool answered) in Malformed())
            {
                burst.Add(SendAsync(bundle, bad, answered));
            }
        }

        await Task.WhenAll(burst);

        // The connection opened before the burst still works, and so does a new one.
        Assert.Equal(KmipResultStatus.Success, Status(await bystander.RequestAsync(DiscoverVersions)));
        await using KmipWireClient fresh = await ConnectAsync(server.Port, bundle);
        Assert.Equal(KmipResultStatus.Success, Status(await fresh.RequestAsync(DiscoverVersions)));
    }

    [Fact]
    public async Task TenMegabyteDeclaredLength_RefusedWithoutReadingIt_ConnectionClosed()
    {
        KmipBundle bundle = await NewClientAsync();
        await using KmipWireClient client = await ConnectAsync(server.Port, bundle);
        await client.SendAsync(Header(KmipTag.RequestMessage, TtlvType.Structure, 10 * 1024 * 1024));   // and nothing more

        TtlvItem? response = await client.ReceiveAsync();
        Assert.NotNull(response);
        Assert.Equal(KmipResultStatus.OperationFailed, Status(response));
        Assert.Equal(KmipResultReason.InvalidMessage, Reason(response));
        Assert.Contains("more than the limit", Item(response).Require(KmipTag.ResultMessage).AsText(), StringComparison.Ordinal);
        Assert.Null(await client.ReceiveAsync());   // then closed: the server never waited for the 10 MB
    }

    [Fact]
    public async Task TruncatedMessage_ConnectionClosed_ListenerServes()
    {
        KmipBundle bundle = await NewClientAsync();
        byte[] valid = TtlvCodec.Encode(DiscoverVersions);
        await using (KmipWireClient client = await ConnectAsync(server.Port, bundle))
        {
            await client.SendAsync(valid[..(valid.Length / 2)]);
        }   // closed mid-message

        await using KmipWireClient next = await ConnectAsync(server.Port, bundle);
        Assert.Equal(KmipResultStatus.Success, Status(await next.RequestAsync(DiscoverVersions)));
    }

    [Theory]
    [MemberData(nameof(FramedGarbage))]
    public async Task FramedButInvalid_InvalidMessageAnswer_SameConnectionServesNext(string kind)
    {
        KmipBundle bundle = await NewClientAsync();
        await using KmipWireClient client = await ConnectAsync(server.Port, bundle);
        await client.SendAsync(FramedMalformed(kind));

        TtlvItem? response = await client.ReceiveAsync();
        Assert.NotNull(response);
        Assert.Equal(KmipResultStatus.OperationFailed, Status(response));
        Assert.Equal(KmipResultReason.InvalidMessage, Reason(response));
        Assert.Equal(KmipResultStatus.Success, Status(await client.RequestAsync(DiscoverVersions)));
    }

    [Fact]
    public async Task GarbageHeader_AnsweredAndClosed()
    {
        KmipBundle bundle = await NewClientAsync();
        await using KmipWireClient client = await ConnectAsync(server.Port, bundle);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        TtlvItem? response = await client.ReceiveAsync();
        Assert.NotNull(response);
        Assert.Equal(KmipResultReason.InvalidMessage, Reason(response));
        Assert.Null(await client.ReceiveAsync());
    }

    /// <remarks>
    /// .NET checks the client certificate as the TLS handshake completes (OpenSSL has finished it by then), so a
    /// client without one may see the handshake end and the connection closed at once; either way it never gets a
    /// KMIP answer.
    /// </remarks>
    [Fact]
    public async Task NoClientCertificate_RefusedBeforeAnyKmipMessage()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        await using var tls = new SslStream(tcp.GetStream());
        int answered = 0;
        Exception? refused = await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            await tls.WriteAsync(TtlvCodec.Encode(DiscoverVersions));
            answered = await tls.ReadAsync(new byte[8]);
        });
        Assert.True(refused is AuthenticationException or IOException || (refused is null && answered == 0),
            $"a client without a certificate gets no answer (got {refused?.GetType().Name ?? answered + " bytes"})");
    }

    private async Task<KmipBundle> NewClientAsync()
    {
        string projectId = await server.SharedAsync("robustness-project", () => server.CreateProjectAsync("KMIP robustness"));
        return await server.SharedAsync("robustness-client", () => server.NewClientAsync(projectId, KmipPermissions.Locate));
    }

    /// <summary>Sends one malformed message; an answered one must get an Invalid Message answer, a truncated one is abandoned.</summary>
    private async Task SendAsync(KmipBundle bundle, byte[] bytes, bool answered)
    {
        await using KmipWireClient client = await ConnectAsync(server.Port, bundle);
        await client.SendAsync(bytes);
        if (answered)
        {
            TtlvItem? response = await client.ReceiveAsync();
            Assert.NotNull(response);
            Assert.Equal(KmipResultReason.InvalidMessage, Reason(response));
        }
    }   // a truncated message's connection is closed here, mid-message

    private static IEnumerable<(byte[] Bytes, bool Answered)> Malformed()
    {
        byte[] valid = TtlvCodec.Encode(DiscoverVersions);
        yield return (valid[..7], false);                                                            // a header cut short
        yield return (valid[..(valid.Length - 8)], false);                                           // a body cut short
        yield return (Header(KmipTag.RequestMessage, TtlvType.Structure, 10 * 1024 * 1024), true);   // 10 MB declared
        yield return (Header(KmipTag.RequestMessage, TtlvType.Structure, -8), true);                 // a negative length
        yield return (Header(KmipTag.RequestMessage, TtlvType.Integer, 4), true);                    // not a structure
        yield return ("\x16\x03\x01 not TTLV at all"u8.ToArray(), true);
        foreach (string kind in FramedGarbage)
        {
            yield return (FramedMalformed(kind), true);
        }
    }

    /// <summary>A message whose outer length frames it correctly but whose contents are malformed.</summary>
    private static byte[] FramedMalformed(string kind)
    {
        byte[] inner = kind switch
        {
            "deep nesting" => Nested(40),
            "child longer than its parent" => [.. Header(KmipTag.RequestHeader, TtlvType.Structure, 64), .. new byte[16]],
            "wrong type byte" => [.. Header(KmipTag.BatchCount, (TtlvType)0x0B, 4), .. new byte[8]],
            "non-zero padding" => [.. Header(KmipTag.BatchCount, TtlvType.Integer, 4), 0, 0, 0, 1, 0xFF, 0, 0, 0],
            "not a request message" => TtlvCodec.Encode(TtlvItem.Structure(KmipTag.ResponseMessage, TtlvItem.Integer(KmipTag.BatchCount, 1))),
            "unsupported protocol 2.0" => Body(TtlvCodec.Encode(TtlvItem.Structure(KmipTag.RequestMessage,
                TtlvItem.Structure(KmipTag.RequestHeader,
                    TtlvItem.Structure(KmipTag.ProtocolVersion, TtlvItem.Integer(KmipTag.ProtocolVersionMajor, 2), TtlvItem.Integer(KmipTag.ProtocolVersionMinor, 0)),
                    TtlvItem.Integer(KmipTag.BatchCount, 1)),
                TtlvItem.Structure(KmipTag.BatchItem, TtlvItem.Enumeration(KmipTag.Operation, (uint)KmipOperation.DiscoverVersions))))),
            "no batch item" => Body(TtlvCodec.Encode(TtlvItem.Structure(KmipTag.RequestMessage,
                TtlvItem.Structure(KmipTag.RequestHeader,
                    TtlvItem.Structure(KmipTag.ProtocolVersion, TtlvItem.Integer(KmipTag.ProtocolVersionMajor, 1), TtlvItem.Integer(KmipTag.ProtocolVersionMinor, 4)),
                    TtlvItem.Integer(KmipTag.BatchCount, 0))))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return kind == "not a request message" ? inner : [.. Header(KmipTag.RequestMessage, TtlvType.Structure, inner.Length), .. inner];
    }

    /// <summary>Structures nested <paramref name="depth"/> deep, each framing the next exactly.</summary>
    private static byte[] Nested(int depth)
    {
        byte[] inner = [];
        for (int i = 0; i < depth; i++)
        {
            inner = [.. Header(KmipTag.Attribute, TtlvType.Structure, inner.Length), .. inner];
        }

        return inner;
    }

    private static byte[] Body(byte[] message) => message[TtlvCodec.HeaderLength..];

    private static byte[] Header(KmipTag tag, TtlvType type, int length)
    {
        byte[] header = new byte[TtlvCodec.HeaderLength];
        header[0] = (byte)((int)tag >> 16);
        header[1] = (byte)((int)tag >> 8);
        header[2] = (byte)(int)tag;
        header[3] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), length);
        return header;
    }
}
