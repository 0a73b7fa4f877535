// Kestrel's own refusals get the JSON error body of spec §2.1.
//
// When Kestrel rejects a request while parsing its request line or headers (a NUL or a byte that is not
// UTF-8 in the path: 400; a request line over MaxRequestLineSize: 414; too many or too large headers: 431),
// it writes "HTTP/1.1 4xx ...\r\nContent-Length: 0\r\n..." itself at connection teardown and the app never
// runs. Kestrel has no hook for this response, so it is rewritten at the connection level:
//   1. UseKestrelRefusalBodies, a connection middleware on every endpoint, wraps the connection's output in
//      a RefusalRewritingPipeWriter and puts a ConnectionRequestCount in the connection's Items.
//   2. UseKestrelRefusalTracking, the first HTTP middleware, finds that count through
//      IConnectionItemsFeature (Kestrel's transport connection implements it; the HttpContext's features fall
//      back to the connection's) and counts the request in when it enters the app and out in
//      Response.OnCompleted, which Kestrel calls after the response has been written and flushed.
//   3. While the count is above zero the writer passes everything through untouched. At zero, whatever is
//      written is Kestrel's own, and the writer rewrites an empty-bodied HTTP/1.x error at the flush.
// Under HTTPS configured in Kestrel this middleware sits outside TLS and sees only ciphertext, which never
// looks like an HTTP/1.x response, so there it changes nothing (a TLS-terminating proxy in front is fine).
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InfisicalKms.Web.Http;

public static class KestrelRefusals
{
    private static readonly object RequestCountKey = new();

    /// <summary>Connection middleware: wraps the output so that Kestrel's refusals get the JSON error body.</summary>
    public static ListenOptions UseKestrelRefusalBodies(this ListenOptions listen)
    {
        listen.Use(next => connection =>
        {
            var requests = new ConnectionRequestCount();
            connection.Items[RequestCountKey] = requests;
            IDuplexPipe transport = connection.Transport;
            // Limits are read at the refusal, from the options Kestrel runs with.
            connection.Transport = new DuplexPipe(transport.Input,
                new RefusalRewritingPipeWriter(transport.Output, requests, listen.KestrelServerOptions.Limits));
            return next(connection);
        });
        return listen;
    }

    /// <summary>HTTP middleware, first in the pipeline: marks the connection while a request is inside the app.</summary>
    public static IApplicationBuilder UseKestrelRefusalTracking(this IApplicationBuilder app) =>
        app.Use(static (http, next) =>
        {
            if (http.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(RequestCountKey, out object? value) == true
                && value is ConnectionRequestCount requests)
            {
                requests.Enter();
                http.Response.OnCompleted(ConnectionRequestCount.ExitCallback, requests);
            }

            return next(http);
        });

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
