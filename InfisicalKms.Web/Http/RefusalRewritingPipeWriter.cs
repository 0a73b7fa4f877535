using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InfisicalKms.Web.Http;

/// <summary>
/// The connection's output. While a request of the connection is inside the app, a pure pass-through (the
/// hot path: no copy, no allocation). Otherwise what Kestrel writes is held until the flush, where an
/// empty-bodied HTTP/1.x error is replaced by <see cref="RefusalResponse"/>; anything else (TLS records,
/// HTTP/2 frames) goes out unchanged. Held bytes always go out before any pass-through write, so the order
/// on the wire is the order of the writes.
/// </summary>
/// <remarks>
/// Kestrel writes from one caller at a time (Http1OutputProducer and Http2FrameWriter hold a lock around
/// every GetMemory/Advance/Flush), so this needs no lock of its own. Kestrel flushes its refusal before the
/// connection ends and never completes this writer (the transport completes its own), so nothing is held
/// past a flush.
/// </remarks>
internal sealed class RefusalRewritingPipeWriter(PipeWriter inner, ConnectionRequestCount requests, KestrelServerLimits limits)
    : PipeWriter
{
    private byte[]? _held;         // rented from ArrayPool<byte>.Shared while something is held
    private int _heldLength;
    private bool _advanceHeld;     // which writer the last GetMemory/GetSpan came from

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes + _heldLength;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (requests.InsideApp)
        {
            PassThrough();
            return inner.GetMemory(sizeHint);
        }

        return Hold(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        if (requests.InsideApp)
        {
            PassThrough();
            return inner.GetSpan(sizeHint);
        }

        return Hold(sizeHint).Span;
    }

    public override void Advance(int bytes)
    {
        if (!_advanceHeld)
        {
            inner.Advance(bytes);
            return;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, _held!.Length - _heldLength);
        _heldLength += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_heldLength > 0)
        {
            Release(rewrite: !requests.InsideApp);
        }

        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (_heldLength > 0)
        {
            Release(rewrite: !requests.InsideApp);
        }

        inner.Complete(exception);
    }

    private void PassThrough()
    {
        if (_heldLength > 0)
        {
            Release(rewrite: false);   // a request entered the app: what was held is not a refusal
        }

        _advanceHeld = false;
    }

    private Memory<byte> Hold(int sizeHint)
    {
        int needed = _heldLength + Math.Max(sizeHint, 1);
        if (_held is null || _held.Length < needed)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            if (_held is not null)
            {
                _held.AsSpan(0, _heldLength).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_held);
            }

            _held = larger;
        }

        _advanceHeld = true;
        return _held.AsMemory(_heldLength);
    }

    private void Release(bool rewrite)
    {
        ReadOnlySpan<byte> held = _held.AsSpan(0, _heldLength);
        byte[]? rewritten = rewrite ? RefusalResponse.TryRewrite(held, limits) : null;
        inner.Write(rewritten ?? held);
        ArrayPool<byte>.Shared.Return(_held!);
        _held = null;
        _heldLength = 0;
    }
}
