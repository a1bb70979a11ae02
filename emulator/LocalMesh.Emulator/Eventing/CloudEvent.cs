using System.Collections.Immutable;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LocalMesh.Emulator.Eventing;

/// <summary>
/// A CloudEvent (spec 1.0) as the HTTP protocol binding carries it: context attributes and data.
/// Read in binary mode (<c>ce-*</c> headers) or structured mode (<c>application/cloudevents+json</c>);
/// always written in binary mode, as Knative's broker delivers.
/// </summary>
/// <param name="Attributes">Every context attribute by name, <c>datacontenttype</c> included.</param>
/// <param name="Data">The event data, as sent.</param>
internal sealed record CloudEvent(ImmutableDictionary<string, string> Attributes, ReadOnlyMemory<byte> Data)
{
    /// <summary>The media type of structured mode.</summary>
    public const string StructuredContentType = "application/cloudevents+json";

    private const string HeaderPrefix = "ce-";
    private static readonly string[] Required = ["specversion", "id", "source", "type"];

    /// <summary>The <c>type</c> attribute.</summary>
    public string Type => Attributes["type"];

    /// <summary>The <c>id</c> attribute.</summary>
    public string Id => Attributes["id"];

    /// <summary>Returns a copy with <paramref name="name"/> set to <paramref name="value"/> (an extension attribute).</summary>
    public CloudEvent With(string name, string value) => this with { Attributes = Attributes.SetItem(name, value) };

    /// <summary>Reads an event from a request in either content mode.</summary>
    /// <exception cref="FormatException">It is not a valid CloudEvent; the message says why (the 400's body).</exception>
    public static async Task<CloudEvent> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        var body = buffer.ToArray();
        var contentType = request.ContentType ?? "";
        if (contentType.StartsWith("application/cloudevents-batch", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("batched CloudEvents are not accepted by a Knative broker; send one event per request.");
        }

        return contentType.StartsWith(StructuredContentType, StringComparison.OrdinalIgnoreCase)
            ? ReadStructured(body)
            : ReadBinary(request.Headers, contentType, body);
    }

    private static CloudEvent ReadBinary(IHeaderDictionary headers, string contentType, byte[] body)
    {
        var attributes = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > HeaderPrefix.Length)
            {
                attributes[name[HeaderPrefix.Length..].ToLowerInvariant()] = Uri.UnescapeDataString(value.ToString());
            }
        }

        if (contentType.Length > 0)
        {
            attributes["datacontenttype"] = contentType;
        }

        return Validated(attributes.ToImmutable(), body, "ce-");
    }

    private static CloudEvent ReadStructured(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the structured event is not JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("a structured event is a JSON object.");
            }

            var attributes = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            ReadOnlyMemory<byte> data = Array.Empty<byte>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "data":
                        data = property.Value.ValueKind == JsonValueKind.String && !IsJson(attributes.GetValueOrDefault("datacontenttype"))
                            ? Encoding.UTF8.GetBytes(property.Value.GetString()!)
                            : Encoding.UTF8.GetBytes(property.Value.GetRawText());
                        break;
                    case "data_base64":
                        data = Convert.FromBase64String(property.Value.GetString() ?? "");
                        break;
                    default:
                        attributes[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                        break;
                }
            }

            return Validated(attributes.ToImmutable(), data, "");
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is null || contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || contentType.Contains("+json", StringComparison.OrdinalIgnoreCase);

    private static CloudEvent Validated(ImmutableDictionary<string, string> attributes, ReadOnlyMemory<byte> data, string prefix)
    {
        var missing = Required.Where(name => string.IsNullOrEmpty(attributes.GetValueOrDefault(name))).ToList();
        if (missing.Count > 0)
        {
            throw new FormatException($"not a CloudEvent: missing {string.Join(", ", missing.Select(name => prefix + name))}.");
        }

        if (attributes["specversion"] != "1.0")
        {
            throw new FormatException($"specversion {attributes["specversion"]} is not supported; send 1.0.");
        }

        return new CloudEvent(attributes, data);
    }

    /// <summary>A binary-mode HTTP request carrying this event to <paramref name="target"/>.</summary>
    public HttpRequestMessage ToRequest(Uri target)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(Data.ToArray()) };
        foreach (var (name, value) in Attributes)
        {
            if (name == "datacontenttype")
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(HeaderPrefix + name, EncodeHeaderValue(value));
            }
        }

        return message;
    }

    /// <summary>The binding's header encoding: percent-encode space, <c>"</c>, <c>%</c> and anything outside printable ASCII.</summary>
    private static string EncodeHeaderValue(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is > 0x20 and < 0x7F and not (byte)'"' and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
