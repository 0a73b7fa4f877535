using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace InfisicalKms.Tests.Web.Http;

/// <summary>
/// HTTP/1.1 over a bare socket: the request goes out exactly as given (HttpClient would normalise or refuse
/// malformed requests), and responses are parsed from the raw bytes, one at a time.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private byte[] _data = new byte[16_384];
    private int _count;

    private RawHttpConnection(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public static async Task<RawHttpConnection> OpenAsync(Uri server)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(server.Host, server.Port);
        return new RawHttpConnection(client);
    }

    public async Task SendAsync(byte[] request) => await _stream.WriteAsync(request);

    /// <summary>The next response: a 1xx, or a final response with its body (Content-Length, chunked or to the end).</summary>
    public async Task<RawHttpResponse> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        string[] lines = Encoding.Latin1.GetString(await ReadUntilAsync("\r\n\r\n"u8.ToArray(), timeout.Token)).Split("\r\n");
        int status = int.Parse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture);
        List<KeyValuePair<string, string>> headers = [.. lines.Skip(1).Select(line =>
            KeyValuePair.Create(line[..line.IndexOf(':', StringComparison.Ordinal)], line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()))];
        var response = new RawHttpResponse(status, lines[0], headers, []);
        if (status < 200)
        {
            return response;
        }

        if (response.Header("Content-Length") is { } length)
        {
            return response with { Body = await ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture), timeout.Token) };
        }

        if (response.Header("Transfer-Encoding") == "chunked")
        {
            return response with { Body = await ReadChunkedAsync(timeout.Token) };
        }

        return response with { Body = await ReadToEndAsync() };
    }

    /// <summary>Everything until the server closes the connection.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        while (await FillAsync(timeout.Token))
        {
        }

        return Take(_count, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken ct)
    {
        using var body = new MemoryStream();
        while (true)
        {
            string size = Encoding.ASCII.GetString(await ReadUntilAsync("\r\n"u8.ToArray(), ct)).Split(';')[0];
            int length = int.Parse(size, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (length == 0)
            {
                await ReadUntilAsync("\r\n"u8.ToArray(), ct);   // no trailers
                return body.ToArray();
            }

            body.Write(await ReadExactlyAsync(length, ct));
            await ReadUntilAsync("\r\n"u8.ToArray(), ct);
        }
    }

    private async Task<byte[]> ReadUntilAsync(byte[] delimiter, CancellationToken ct)
    {
        while (true)
        {
            int at = _data.AsSpan(0, _count).IndexOf(delimiter);
            if (at >= 0)
            {
                return Take(at, delimiter.Length);
            }

            if (!await FillAsync(ct))
            {
                throw new EndOfStreamException($"connection closed; received so far: {Encoding.Latin1.GetString(_data, 0, _count)}");
            }
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int length, CancellationToken ct)
    {
        while (_count < length)
        {
            if (!await FillAsync(ct))
            {
                throw new EndOfStreamException($"connection closed after {_count} of {length} body bytes");
            }
        }

        return Take(length, 0);
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        if (_count == _data.Length)
        {
            Array.Resize(ref _data, _data.Length * 2);
        }

        int read = await _stream.ReadAsync(_data.AsMemory(_count), ct);
        _count += read;
        return read > 0;
    }

    private byte[] Take(int length, int skip)
    {
        byte[] taken = _data[..length];
        Buffer.BlockCopy(_data, length + skip, _data, 0, _count - length - skip);
        _count -= length + skip;
        return taken;
    }
}

/// <summary>One raw response. <see cref="Header"/> returns the first value of a header, or null.</summary>
public sealed record RawHttpResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Key: not null } header ? header.Value : null;

    public int Count(string name) => Headers.Count(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    public string BodyText => Encoding.UTF8.GetString(Body);
}
