namespace TokenOps.Gateway.Protocols.OpenAI.Audio;

/// <summary>What an audio meter needs of the request, read once by the route.</summary>
/// <param name="Format">The answer's format (<c>response_format</c>): mp3, wav, pcm, ... for speech; json, text, srt, ... for transcripts.</param>
public sealed record AudioRequest(string Format)
{
    /// <summary>Speech: the characters of <c>input</c> (code points), what tts-1 is billed by.</summary>
    public int Characters { get; init; }

    /// <summary>Transcription: how long the uploaded file plays, and whether its header said so exactly (WAV).</summary>
    public long FileMilliseconds { get; init; }
    public bool FileDurationExact { get; init; }

    /// <summary>Transcription: tokens of the <c>prompt</c> field (a token is at most a few bytes; counted as bytes / 4).</summary>
    public long PromptTokens { get; init; }
}
