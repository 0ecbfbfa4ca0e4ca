// SQS bridge status: GET /api/v1/bridge (SHAPES.md "SQS bridge").
import { api } from './client';

export interface BridgeStatus {
  enabled: boolean;
  mode: 'off' | 'sqs';
  reason: string | null;
  outbound: {
    queues: { priority: number | null; url: string; fifo: boolean }[];
    sent: number;
    failed: number;
    inFlight: number;
    lastSuccessAt: string | null;
    lastError: string | null;
    backlog: number;
  };
  inbound: {
    queueUrl: string | null;
    received: number;
    appended: number;
    invalid: number;
    lastSuccessAt: string | null;
    lastError: string | null;
  };
}

export const bridgeAPI = {
  get: () => api.get<BridgeStatus>('/api/v1/bridge'),
};
