using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Core.Kmip;

/// <summary><see cref="TtlvCodec.ReadMessageAsync"/> frames messages on a byte stream, as a TLS connection delivers them.</summary>
public sealed class TtlvReadMessageTests
{
    private static readonly byte[] Request = TtlvCodec.Encode(TtlvRoundTripTests.CreateRequest());

    private static readonly byte[] Empty = TtlvCodec.Encode(TtlvItem.Structure(KmipTag.ResponseMessage));

    [Fact]
    public async Task ReadMessageAsync_TwoMessagesThenEnd_ReturnsEachThenNull()
    {
        using var stream = new MemoryStream([.. Request, .. Empty]);

        Assert.Equal(Request, await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None));
        Assert.Equal(Empty, await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None));
        Assert.Null(await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None));
    }

    [Fact]
    public async Task ReadMessageAsync_OneBytePerRead_ReassemblesTheMessages()
    {
        using var stream = new TrickleStream([.. Request, .. Empty]);

        byte[]? first = await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None);
        byte[]? second = await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None);

        Assert.Equal(Request, first);
        Assert.Equal(Empty, second);
        Assert.Null(await TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None));
        Assert.Equal(Request.Length + Empty.Length + 1, stream.Reads);   // one byte a read, and the read that found the end
    }

    [Theory]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadMessageAsync_StreamEndsInTheHeader_ThrowsEndOfStream(int length)
    {
        using var stream = new TrickleStream(Request[..length]);

        await Assert.ThrowsAsync<EndOfStreamException>(
            () => TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None).AsTask());
    }

    [Theory]
    [InlineData(8)]
    [InlineData(359)]
    public async Task ReadMessageAsync_StreamEndsInTheBody_ThrowsEndOfStream(int length)
    {
        using var stream = new MemoryStream(Request[..length]);

        await Assert.ThrowsAsync<EndOfStreamException>(
            () => TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task ReadMessageAsync_Declared10MiB_IsRefusedAfterReadingOnlyTheHeader()
    {
        using var stream = new EndlessStream(TtlvHex.Parse("42 00 78 | 01 | 00 A0 00 00"));

        var e = await Assert.ThrowsAsync<TtlvFormatException>(
            () => TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None).AsTask());

        Assert.Contains("declares 10485760 bytes", e.Message);
        Assert.Equal(8, stream.BytesRead);
    }

    [Fact]
    public async Task ReadMessageAsync_HeaderOfALeafItem_IsRefused()
    {
        using var stream = new MemoryStream(TtlvCodec.Encode(TtlvItem.Integer(KmipTag.BatchCount, 1)));

        var e = await Assert.ThrowsAsync<TtlvFormatException>(
            () => TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, CancellationToken.None).AsTask());

        Assert.Contains("a message must be a Structure", e.Message);
    }

    [Fact]
    public async Task ReadMessageAsync_Cancelled_Throws()
    {
        using var stream = new MemoryStream(Request);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => TtlvCodec.ReadMessageAsync(stream, TtlvLimits.Default, cancelled.Token).AsTask());
    }

    /// <summary>A stream that hands out one byte per read, like a slow network peer.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public int Reads { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            if (_position == data.Length || buffer.IsEmpty)
            {
                return 0;
            }

            buffer[0] = data[_position++];
            return 1;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A header, then zeros for ever; counts what the reader took.</summary>
    private sealed class EndlessStream(byte[] header) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            for (int i = 0; i < buffer.Length; i++)
            {
                buffer[i] = BytesRead + i < header.Length ? header[BytesRead + i] : (byte)0;
            }

            BytesRead += buffer.Length;
            return buffer.Length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
