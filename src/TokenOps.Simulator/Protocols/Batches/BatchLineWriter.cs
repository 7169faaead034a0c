using System.Text.Json;
using TokenOps.Simulator.Generation;
using TokenOps.Simulator.Infrastructure;

namespace TokenOps.Simulator.Protocols.Batches;

/// <summary>Result lines and batch objects in each provider's exact shape.</summary>
internal static class BatchLineWriter
{
    /// <summary>
    /// An OpenAI output or error file line (<c>BatchRequestOutput</c>): <c>{"id","custom_id","response":{"status_code",
    /// "request_id","body"},"error"}</c>. Lines that never ran carry <c>response: null</c> and an error code
    /// (<c>batch_expired</c>, <c>batch_cancelled</c>).
    /// </summary>
    public static void OpenAIResult(Utf8JsonWriter json, SimHost host, SimBatchLine line, LineResult result)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, host.NewId("batch_req_"));
        json.WriteString("custom_id"u8, line.CustomId);
        switch (result.Kind)
        {
            case LineKind.Succeeded:
                json.WriteStartObject("response"u8);
                json.WriteNumber("status_code"u8, 200);
                json.WriteString("request_id"u8, host.NewId("req_"));
                json.WritePropertyName("body"u8);
                ChatCompletion(json, result);
                json.WriteEndObject();
                json.WriteNull("error"u8);
                break;
            case LineKind.Errored:
                json.WriteStartObject("response"u8);
                json.WriteNumber("status_code"u8, result.Status);
                json.WriteString("request_id"u8, host.NewId("req_"));
                json.WriteStartObject("body"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("message"u8, ProtocolErrors.OpenAIFaultMessage(result.Status));
                json.WriteString("type"u8, result.Status >= 500 ? "server_error" : "invalid_request_error");
                json.WriteNull("param"u8);
                json.WriteNull("code"u8);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteNull("error"u8);
                break;
            default:
                json.WriteNull("response"u8);
                json.WriteStartObject("error"u8);
                var expired = result.Kind == LineKind.Expired;
                json.WriteString("code"u8, expired ? "batch_expired" : "batch_cancelled");
                json.WriteString("message"u8, expired
                    ? "This request could not be executed before the completion window expired."
                    : "This request was not executed because the batch was cancelled.");
                json.WriteEndObject();
                break;
        }
        json.WriteEndObject();
    }

    private static void ChatCompletion(Utf8JsonWriter json, LineResult result)
    {
        var plan = result.Plan!;
        using var text = new PooledBufferWriter(plan.VisibleWords * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(plan.Seed, plan.VisibleWords, text);
        json.WriteStartObject();
        json.WriteString("id"u8, result.Id);
        json.WriteString("object"u8, "chat.completion"u8);
        json.WriteNumber("created"u8, result.At.ToUnixTimeSeconds());
        json.WriteString("model"u8, result.Model);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("content"u8, text.WrittenSpan);
        json.WriteNull("refusal"u8);
        json.WriteStartArray("annotations"u8);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        json.WriteString("finish_reason"u8, plan.Truncated ? "length" : "stop");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, plan.InputTotal);
        json.WriteNumber("completion_tokens"u8, plan.Output);
        json.WriteNumber("total_tokens"u8, plan.InputTotal + plan.Output);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, plan.CacheRead);
        json.WriteNumber("audio_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details"u8);
        json.WriteNumber("reasoning_tokens"u8, plan.Reasoning);
        json.WriteNumber("audio_tokens"u8, 0);
        json.WriteNumber("accepted_prediction_tokens"u8, 0);
        json.WriteNumber("rejected_prediction_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("service_tier"u8, "batch"u8);
        json.WriteString("system_fingerprint"u8, OpenAI.OpenAIRequest.SystemFingerprint);
        json.WriteEndObject();
    }

    /// <summary>
    /// An Anthropic results line: <c>{"custom_id","result":{"type":"succeeded","message":{…}}}</c>; <c>errored</c> carries
    /// an error response, <c>canceled</c> and <c>expired</c> nothing else.
    /// </summary>
    public static void AnthropicResult(Utf8JsonWriter json, SimBatchLine line, LineResult result)
    {
        json.WriteStartObject();
        json.WriteString("custom_id"u8, line.CustomId);
        json.WriteStartObject("result"u8);
        switch (result.Kind)
        {
            case LineKind.Succeeded:
                json.WriteString("type"u8, "succeeded"u8);
                json.WritePropertyName("message"u8);
                Message(json, result);
                break;
            case LineKind.Errored:
                json.WriteString("type"u8, "errored"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, "error"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, ProtocolErrors.AnthropicErrorType(result.Status));
                json.WriteString("message"u8, ProtocolErrors.AnthropicFaultMessage(result.Status));
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case LineKind.Canceled:
                json.WriteString("type"u8, "canceled"u8);
                break;
            default:
                json.WriteString("type"u8, "expired"u8);
                break;
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Message(Utf8JsonWriter json, LineResult result)
    {
        var plan = result.Plan!;
        using var text = new PooledBufferWriter(plan.VisibleWords * TextGenerator.MaxWordBytes + 16);
        TextGenerator.WriteAll(plan.Seed, plan.VisibleWords, text);
        json.WriteStartObject();
        json.WriteString("id"u8, result.Id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, result.Model);
        json.WriteStartArray("content"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, text.WrittenSpan);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteString("stop_reason"u8, plan.Truncated ? "max_tokens" : "end_turn");
        json.WriteNull("stop_sequence"u8);
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, plan.UncachedInput);
        json.WriteNumber("cache_creation_input_tokens"u8, plan.CacheWrite5m + plan.CacheWrite1h);
        json.WriteNumber("cache_read_input_tokens"u8, plan.CacheRead);
        json.WriteNumber("output_tokens"u8, plan.Output);
        json.WriteString("service_tier"u8, "batch"u8);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The OpenAI <c>batch</c> object.</summary>
    public static void OpenAIBatch(Utf8JsonWriter json, SimBatch b)
    {
        static void Time(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTimeOffset? t)
        {
            if (t is { } v) json.WriteNumber(name, v.ToUnixTimeSeconds());
            else json.WriteNull(name);
        }

        json.WriteStartObject();
        json.WriteString("id"u8, b.Id);
        json.WriteString("object"u8, "batch"u8);
        json.WriteString("endpoint"u8, b.Endpoint);
        if (b.Errors.Count == 0)
        {
            json.WriteNull("errors"u8);
        }
        else
        {
            json.WriteStartObject("errors"u8);
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            foreach (var e in b.Errors)
            {
                json.WriteStartObject();
                json.WriteString("code"u8, e.Code);
                json.WriteString("message"u8, e.Message);
                json.WriteNull("param"u8);
                if (e.Line is { } line) json.WriteNumber("line"u8, line);
                else json.WriteNull("line"u8);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteString("input_file_id"u8, b.InputFileId);
        json.WriteString("completion_window"u8, b.CompletionWindow);
        json.WriteString("status"u8, b.Phase switch
        {
            SimBatchPhase.InProgress => "in_progress",
            SimBatchPhase.Cancelling => "cancelling",
            SimBatchPhase.Completed => "completed",
            SimBatchPhase.Cancelled => "cancelled",
            SimBatchPhase.Expired => "expired",
            _ => "failed",
        });
        if (b.OutputFileId is null) json.WriteNull("output_file_id"u8); else json.WriteString("output_file_id"u8, b.OutputFileId);
        if (b.ErrorFileId is null) json.WriteNull("error_file_id"u8); else json.WriteString("error_file_id"u8, b.ErrorFileId);
        json.WriteNumber("created_at"u8, b.CreatedAt.ToUnixTimeSeconds());
        Time(json, "in_progress_at"u8, b.Phase == SimBatchPhase.Failed ? null : b.CreatedAt);
        Time(json, "expires_at"u8, b.ExpiresAt);
        Time(json, "finalizing_at"u8, b.Phase == SimBatchPhase.Completed ? b.EndedAt : null);
        Time(json, "completed_at"u8, b.Phase == SimBatchPhase.Completed ? b.EndedAt : null);
        Time(json, "failed_at"u8, b.Phase == SimBatchPhase.Failed ? b.EndedAt : null);
        Time(json, "expired_at"u8, b.Phase == SimBatchPhase.Expired ? b.EndedAt : null);
        Time(json, "cancelling_at"u8, b.CancellingAt);
        Time(json, "cancelled_at"u8, b.Phase == SimBatchPhase.Cancelled ? b.EndedAt : null);
        json.WriteStartObject("request_counts"u8);
        json.WriteNumber("total"u8, b.Lines.Count);
        json.WriteNumber("completed"u8, b.Succeeded);
        json.WriteNumber("failed"u8, b.Errored);
        json.WriteEndObject();
        if (b.Metadata is null) json.WriteNull("metadata"u8);
        else
        {
            json.WritePropertyName("metadata"u8);
            json.WriteRawValue(b.Metadata);
        }
        json.WriteEndObject();
    }

    /// <summary>The Anthropic <c>message_batch</c> object; <paramref name="baseUrl"/> makes its <c>results_url</c>.</summary>
    public static void AnthropicBatch(Utf8JsonWriter json, SimBatch b, string baseUrl)
    {
        static void Time(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTimeOffset? t)
        {
            if (t is { } v) json.WriteString(name, v.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            else json.WriteNull(name);
        }

        json.WriteStartObject();
        json.WriteString("id"u8, b.Id);
        json.WriteString("type"u8, "message_batch"u8);
        json.WriteString("processing_status"u8, b.Phase switch
        {
            SimBatchPhase.InProgress => "in_progress",
            SimBatchPhase.Cancelling => "canceling",
            _ => "ended",
        });
        json.WriteStartObject("request_counts"u8);
        json.WriteNumber("processing"u8, b.Ended ? 0 : b.Lines.Count);
        json.WriteNumber("succeeded"u8, b.Succeeded);
        json.WriteNumber("errored"u8, b.Errored);
        json.WriteNumber("canceled"u8, b.Canceled);
        json.WriteNumber("expired"u8, b.Expired);
        json.WriteEndObject();
        Time(json, "ended_at"u8, b.EndedAt);
        Time(json, "created_at"u8, b.CreatedAt);
        Time(json, "expires_at"u8, b.ExpiresAt);
        Time(json, "archived_at"u8, null);
        Time(json, "cancel_initiated_at"u8, b.CancellingAt);
        if (b.Ended) json.WriteString("results_url"u8, $"{baseUrl}/v1/messages/batches/{b.Id}/results");
        else json.WriteNull("results_url"u8);
        json.WriteEndObject();
    }
}
